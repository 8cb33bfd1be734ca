using System.Text.Json.Nodes;

namespace Inference.Cli.Deploy;

/// <summary>
/// Writes an image and a model pin into an ECS task definition template: the named container gets the image and
/// its environment entries set (replacing any placeholders of the same name); everything else is left as it is.
/// </summary>
public static class TaskDefinitionRenderer
{
    public static JsonNode Render(JsonNode template, string container, string image, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(environment);
        var rendered = template.DeepClone();
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

        return rendered;
    }
}
