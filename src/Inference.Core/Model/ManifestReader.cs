using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Inference.Core.Model;

/// <summary>
/// Reads a manifest strictly, before the serializer sees it: the JSON is walked against the manifest type's own
/// serialization contract, so the checks can never drift from what is deserialized. Every problem is one sentence
/// naming its JSON path; an unknown field gets the closest valid name and the full list, an enum written as a number
/// gets its documented names. The serializer runs only on a document that passed.
/// </summary>
internal static class ManifestReader
{
    private const int MaxDepth = 16;

    public static (ModelManifest? Manifest, IReadOnlyList<string> Problems) Read(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(
                json,
                documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = MaxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            return (null, [$"It is not valid JSON: {Where(ex)}{FirstSentence(ex.Message)}"]);
        }

        var problems = new List<string>();
        Check(root, typeof(ModelManifest), "$", isOptional: false, problems);
        if (problems.Count > 0)
        {
            return (null, problems);
        }

        try
        {
            return (root.Deserialize<ModelManifest>(ManifestJson.Options), []);
        }
        catch (JsonException ex)
        {
            // The walk above is meant to catch everything first; this keeps even a miss to one sentence with a path.
            return (null, [$"'{ex.Path ?? "$"}' could not be read: {FirstSentence(ex.Message)}"]);
        }
    }

    public static IReadOnlyList<string> EnumNames(Type enumType) => ManifestEnums.Names(enumType);

    /// <summary>The JSON fields of a manifest object type, as the serializer reads them.</summary>
    public static IReadOnlyList<JsonPropertyInfo> Fields(Type type) =>
        ManifestJson.Options.GetTypeInfo(type).Properties.Where(p => p.Set is not null || p.AssociatedParameter is not null).ToArray();

    /// <summary>
    /// Whether a field must be present: <c>required</c> members, constructor parameters without a default, and every
    /// field of a value record (a box without <c>x2</c> means nothing, though the serializer would fill in zero).
    /// </summary>
    public static bool IsRequired(JsonPropertyInfo property) =>
        property.IsRequired || property.AssociatedParameter is { HasDefaultValue: false } || property.DeclaringType.IsValueType;

    private static void Check(JsonNode? node, Type declared, string path, bool isOptional, List<string> problems)
    {
        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        if (node is null)
        {
            // Null is never a value: an optional field is left out, which is what editors and the schema expect.
            problems.Add(isOptional ? $"'{path}' must not be null; leave the field out instead." : $"'{path}' must not be null.");
            return;
        }

        if (type.IsEnum)
        {
            var names = EnumNames(type);
            if (node.GetValueKind() != JsonValueKind.String || !names.Contains(node.GetValue<string>(), StringComparer.Ordinal))
            {
                var hint = node.GetValueKind() == JsonValueKind.Number ? "; enums are written as their names, never as numbers" : string.Empty;
                problems.Add($"'{path}' must be one of {string.Join(", ", names.Select(n => $"\"{n}\""))} (got {Describe(node)}){hint}.");
            }

            return;
        }

        if (type == typeof(string))
        {
            Expect(node, JsonValueKind.String, "a string", path, problems);
            return;
        }

        if (type == typeof(bool))
        {
            if (node.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                problems.Add($"'{path}' must be true or false (got {Describe(node)}).");
            }

            return;
        }

        if (NumberRange(type) is { } range)
        {
            CheckNumber(node, range, path, problems);
            return;
        }

        var info = ManifestJson.Options.GetTypeInfo(type);
        if (info.Kind == JsonTypeInfoKind.Enumerable)
        {
            if (node is not JsonArray array)
            {
                problems.Add($"'{path}' must be a list (got {Describe(node)}).");
                return;
            }

            for (var i = 0; i < array.Count; i++)
            {
                Check(array[i], info.ElementType!, $"{path}[{i}]", isOptional: false, problems);
            }

            return;
        }

        if (info.Kind == JsonTypeInfoKind.Object)
        {
            CheckObject(node, type, path, problems);
        }
    }

    private static void CheckObject(JsonNode node, Type type, string path, List<string> problems)
    {
        if (node is not JsonObject json)
        {
            problems.Add($"'{path}' must be an object (got {Describe(node)}).");
            return;
        }

        var fields = Fields(type);
        var owner = path == "$" ? "the manifest" : $"'{path}'";
        foreach (var (name, value) in json)
        {
            var field = fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));
            var fieldPath = Append(path, name);
            if (field is null)
            {
                var valid = string.Join(", ", fields.Select(f => f.Name));
                var closest = Closest(name, fields.Select(f => f.Name));
                var suggestion = closest is null ? "." : $"; did you mean '{closest}'?";
                problems.Add($"'{fieldPath}' is not a field of {owner}{suggestion} The fields of {owner} are: {valid}.");
                continue;
            }

            Check(value, field.PropertyType, fieldPath, isOptional: !IsRequired(field), problems);
        }

        foreach (var field in fields.Where(f => IsRequired(f) && !json.ContainsKey(f.Name)))
        {
            problems.Add($"'{Append(path, field.Name)}' is required.");
        }
    }

    private static void CheckNumber(JsonNode node, (double Min, double Max, bool Integer) range, string path, List<string> problems)
    {
        if (node.GetValueKind() != JsonValueKind.Number)
        {
            problems.Add($"'{path}' must be a number (got {Describe(node)}).");
            return;
        }

        var value = node.GetValue<JsonElement>().GetDouble();
        if (range.Integer && Math.Floor(value) != value)
        {
            problems.Add($"'{path}' must be a whole number (got {Describe(node)}).");
        }
        else if (value < range.Min || value > range.Max)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"'{path}' must be between {range.Min} and {range.Max} (got {Describe(node)})."));
        }
    }

    private static (double Min, double Max, bool Integer)? NumberRange(Type type) => type switch
    {
        _ when type == typeof(byte) => (byte.MinValue, byte.MaxValue, true),
        _ when type == typeof(int) => (int.MinValue, int.MaxValue, true),
        _ when type == typeof(long) => (long.MinValue, long.MaxValue, true),
        _ when type == typeof(float) => (float.MinValue, float.MaxValue, false),
        _ when type == typeof(double) => (double.MinValue, double.MaxValue, false),
        _ => null,
    };

    private static void Expect(JsonNode node, JsonValueKind kind, string what, string path, List<string> problems)
    {
        if (node.GetValueKind() != kind)
        {
            problems.Add($"'{path}' must be {what} (got {Describe(node)}).");
        }
    }

    private static string Describe(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.String => $"\"{node.GetValue<string>()}\"",
        JsonValueKind.Number => $"the number {node.ToJsonString()}",
        JsonValueKind.True or JsonValueKind.False => node.ToJsonString(),
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Append(string path, string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$') ? $"{path}.{name}" : $"{path}['{name}']";

    /// <summary>The valid name a typo most likely meant: case-insensitive edit distance with transpositions, if close enough.</summary>
    internal static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        if (best is not null && bestDistance <= Math.Max(2, best.Length / 3))
        {
            return best;
        }

        // A shortened name ('conf', 'pad') means the field it starts.
        return name.Length >= 3 ? candidates.FirstOrDefault(c => c.StartsWith(name, StringComparison.OrdinalIgnoreCase)) : null;
    }

    // Optimal string alignment: 'widht' is one step from 'width', as a person would count it.
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static string Where(JsonException ex) =>
        ex.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $"line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}: ") : string.Empty;

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end < 0 ? message : message[..(end + 1)]).TrimEnd('.') + ".";
    }
}

/// <summary>One field of a manifest object as JSON sees it.</summary>
public sealed record ManifestField(string Name, Type Type, bool Required);

/// <summary>The manifest's JSON contract, read from the very serialization metadata the reader checks against (the JSON Schema is tested against it).</summary>
public static class ManifestContract
{
    public static IReadOnlyList<ManifestField> Fields(Type type) =>
        ManifestReader.Fields(type).Select(f => new ManifestField(f.Name, f.PropertyType, ManifestReader.IsRequired(f))).ToArray();
}

/// <summary>The documented spellings of the manifest's enums, as the manifest, the schema and <c>/v1/model</c> write them.</summary>
public static class ManifestEnums
{
    /// <summary>Every spelling of <paramref name="enumType"/>, in declaration order.</summary>
    public static IReadOnlyList<string> Names(Type enumType)
    {
        ArgumentNullException.ThrowIfNull(enumType);
        return enumType
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name)
            .ToArray();
    }

    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => Names(typeof(TEnum))[Array.IndexOf(Enum.GetValues<TEnum>(), value)];

    /// <summary>The value spelled <paramref name="text"/>, exactly.</summary>
    public static bool TryParse<TEnum>(string text, out TEnum value)
        where TEnum : struct, Enum
    {
        var index = Names(typeof(TEnum)).ToList().IndexOf(text);
        value = index >= 0 ? Enum.GetValues<TEnum>()[index] : default;
        return index >= 0;
    }
}

/// <summary>A manifest enum as JSON: only its documented names, never numbers (a number is a typo that would load as something else).</summary>
public sealed class ManifestEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false)
    where TEnum : struct, Enum;
