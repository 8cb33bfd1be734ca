using System.Text.Json.Nodes;
using Inference.Registry.Deployments;

namespace Inference.Cli.Deploy;

/// <summary>
/// Writes an image and a model pin into an ECS task definition template: the named container gets the image and
/// its environment entries set, other <c>&lt;NAME&gt;</c> placeholders are filled from <c>--placeholder</c> values,
/// and a template that still holds a placeholder afterwards is refused rather than registered half-rendered. The image
/// must be a digest reference: a tag could move between the render and the task's start.
/// </summary>
public static partial class TaskDefinitionRenderer
{
    public static JsonNode Render(JsonNode template, string container, string image, IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string>? placeholders = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(environment);
        if (ImageReference.Problem(image) is { } problem)
        {
            throw new InvalidDataException(problem);
        }

        var rendered = template.DeepClone();
        Substitute(rendered, placeholders ?? new Dictionary<string, string>());
        var definitions = rendered["containerDefinitions"] as JsonArray
            ?? throw new InvalidDataException("The template has no containerDefinitions array.");
        var target = definitions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["name"] == container)
            ?? throw new InvalidDataException($"The template has no container named '{container}' (it has: {string.Join(", ", definitions.OfType<JsonObject>().Select(c => (string?)c["name"]))}).");

        target["image"] = image;
        if (target["environment"] is not JsonArray variables)
        {
            variables = [];
            target["environment"] = variables;
        }

        foreach (var (name, value) in environment)
        {
            var existing = variables.OfType<JsonObject>().FirstOrDefault(v => (string?)v["name"] == name);
            if (existing is null)
            {
                variables.Add(new JsonObject { ["name"] = name, ["value"] = value });
            }
            else
            {
                existing["value"] = value;
            }
        }

        var left = Placeholders(rendered).Distinct(StringComparer.Ordinal).ToArray();
        return left.Length == 0
            ? rendered
            : throw new InvalidDataException($"The task definition still holds placeholders {string.Join(", ", left)}; pass them with --placeholder NAME=value.");
    }

    // Mutates in place: re-assigning a container node to its own parent throws, so only string leaves are replaced.
    private static void Substitute(JsonNode node, IReadOnlyDictionary<string, string> values)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToArray())
                {
                    if (Replaced(child, values) is { } text)
                    {
                        obj[key] = text;
                    }
                    else if (child is not null)
                    {
                        Substitute(child, values);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (Replaced(array[i], values) is { } text)
                    {
                        array[i] = text;
                    }
                    else if (array[i] is { } item)
                    {
                        Substitute(item, values);
                    }
                }

                break;
        }
    }

    private static string? Replaced(JsonNode? node, IReadOnlyDictionary<string, string> values) =>
        node is JsonValue value && value.TryGetValue<string>(out var text)
            ? PlaceholderPattern().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var replacement) ? replacement : m.Value)
            : null;

    private static IEnumerable<string> Placeholders(JsonNode node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Value is null ? [] : Placeholders(p.Value)),
        JsonArray array => array.SelectMany(item => item is null ? [] : Placeholders(item)),
        JsonValue value when value.TryGetValue<string>(out var text) => PlaceholderPattern().Matches(text).Select(m => m.Value),
        _ => [],
    };

    [System.Text.RegularExpressions.GeneratedRegex("<([A-Z][A-Z0-9_]*)>")]
    private static partial System.Text.RegularExpressions.Regex PlaceholderPattern();
}
