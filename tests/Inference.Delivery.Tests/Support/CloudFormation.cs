using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Inference.Delivery.Tests.Support;

/// <summary>
/// A CloudFormation template as JSON, whatever its syntax: YAML short-form intrinsics (<c>!Ref</c>, <c>!Sub</c>,
/// <c>!GetAtt</c>…) become their long forms, as CloudFormation itself reads them.
/// </summary>
public static class CloudFormation
{
    public static JsonObject Load(string path)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        return (JsonObject)Convert(yaml.Documents[0].RootNode)!;
    }

    public static IEnumerable<(string Name, string Type, JsonObject Properties)> Resources(JsonObject template) =>
        template["Resources"]!.AsObject().Select(r => (r.Key, (string)r.Value!["Type"]!, r.Value["Properties"] as JsonObject ?? []));

    public static IReadOnlySet<string> ParameterNames(JsonObject template) =>
        (template["Parameters"]?.AsObject() ?? []).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);

    public static bool IsIntrinsic(JsonNode? node) =>
        node is JsonObject obj && obj.Count == 1 && obj.First().Key is var key && (key == "Ref" || key.StartsWith("Fn::", StringComparison.Ordinal));

    public static IReadOnlyList<JsonNode?> AsList(JsonNode? node) => node is JsonArray array ? [.. array] : [node];

    /// <summary>The export names a template imports, as written: <c>${SharedStackName}-ModelsBucketArn</c>, say.</summary>
    public static IEnumerable<string> Imports(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Key == "Fn::ImportValue" ? [(string)p.Value!["Fn::Sub"]!] : Imports(p.Value)),
        JsonArray array => array.SelectMany(Imports),
        _ => [],
    };

    /// <summary>The names a template exports, written as an importing stack names them (<c>${SharedStackName}-…</c>).</summary>
    public static IReadOnlySet<string> Exports(JsonObject template, string stackParameter) =>
        (template["Outputs"]?.AsObject() ?? []).Select(o => (string?)o.Value!["Export"]?["Name"]?["Fn::Sub"]).OfType<string>()
            .Select(name => name.Replace("${AWS::StackName}", $"${{{stackParameter}}}", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The resources and parameters a value refers to: <c>Ref</c>, <c>Fn::GetAtt</c>, and <c>${Name}</c> or
    /// <c>${Name.Attribute}</c> inside <c>Fn::Sub</c> (with the names of its variable map). Pseudo parameters
    /// (<c>AWS::Region</c>…) are left out.
    /// </summary>
    public static IEnumerable<string> ReferencedNames(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Key switch
        {
            "Ref" => [(string)p.Value!],
            "Fn::GetAtt" => [p.Value is JsonArray parts ? (string)parts[0]! : ((string)p.Value!).Split('.')[0]],
            "Fn::Sub" => SubNames(p.Value).Concat(p.Value is JsonArray sub ? ReferencedNames(sub[1]) : []),
            _ => ReferencedNames(p.Value),
        }).Where(name => !name.StartsWith("AWS::", StringComparison.Ordinal)),
        JsonArray array => array.SelectMany(ReferencedNames),
        _ => [],
    };

    private static IEnumerable<string> SubNames(JsonNode? sub)
    {
        var variables = sub is JsonArray parts ? parts[1]!.AsObject().Select(v => v.Key).ToHashSet(StringComparer.Ordinal) : [];
        return System.Text.RegularExpressions.Regex.Matches(sub is JsonArray list ? (string)list[0]! : (string)sub!, @"\$\{([A-Za-z0-9:]+)[.}]")
            .Select(m => m.Groups[1].Value)
            .Where(name => !variables.Contains(name));
    }

    private static JsonNode? Convert(YamlNode node)
    {
        JsonNode? value = node switch
        {
            YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, Convert(c.Value)))),
            YamlSequenceNode list => new JsonArray(list.Children.Select(Convert).ToArray()),
            YamlScalarNode scalar => JsonValue.Create(scalar.Value),
            _ => null,
        };
        var tag = node.Tag.IsEmpty ? null : node.Tag.Value;
        if (tag is null || !tag.StartsWith('!'))
        {
            return value;
        }

        var function = tag[1..];
        return function == "Ref" ? new JsonObject { ["Ref"] = value } : new JsonObject { [$"Fn::{function}"] = value };
    }
}

/// <summary>
/// Checks resource types and property names (recursively, through property types) against the CloudFormation
/// resource specification from npm's @aws-cdk/cfnspec, and that required properties are present.
/// Hand-written: no served .NET package reads that specification.
/// </summary>
public sealed class CfnSpec
{
    /// <summary>
    /// Resource properties CloudFormation gained after the specification was frozen (2.72.1, the package's last
    /// release), each with the reason a template needs it. Only these exact names pass; a misspelling still fails.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> NewerThanSpecification = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Since October 2025 a Function URL also needs lambda:InvokeFunction, which this limits to calls through the URL.
        ["AWS::Lambda::Permission.InvokedViaFunctionUrl"] = "deploy/lambda/template.yaml grants Function URL calls",
    };

    private readonly JsonElement _resourceTypes;
    private readonly JsonElement _propertyTypes;

    public CfnSpec(string specificationPath)
    {
        using var stream = File.OpenRead(specificationPath);
        var root = JsonDocument.Parse(stream).RootElement.Clone();
        _resourceTypes = root.GetProperty("ResourceTypes");
        _propertyTypes = root.GetProperty("PropertyTypes");
    }

    public IReadOnlyList<string> Check(JsonObject template)
    {
        var problems = new List<string>();
        foreach (var (name, type, properties) in CloudFormation.Resources(template))
        {
            if (!_resourceTypes.TryGetProperty(type, out var spec))
            {
                problems.Add($"{name}: unknown resource type {type}");
                continue;
            }

            CheckProperties(properties, spec, name, type, problems);
        }

        return problems;
    }

    private void CheckProperties(JsonNode? node, JsonElement spec, string path, string resourceType, List<string> problems)
    {
        if (node is not JsonObject properties || CloudFormation.IsIntrinsic(node))
        {
            return;
        }

        var known = spec.TryGetProperty("Properties", out var p) ? p : default;
        foreach (var (key, value) in properties)
        {
            if (known.ValueKind != JsonValueKind.Object || !known.TryGetProperty(key, out var property))
            {
                // Top level only: a resource's own properties, not those of its property types.
                if (path.Contains('.', StringComparison.Ordinal) || !NewerThanSpecification.ContainsKey($"{resourceType}.{key}"))
                {
                    problems.Add($"{path}.{key}: not a property of {resourceType}");
                }

                continue;
            }

            var typeName = property.TryGetProperty("Type", out var t) ? t.GetString() : null;
            var itemType = property.TryGetProperty("ItemType", out var i) ? i.GetString() : null;
            if (typeName is "List" or "Map" && itemType is not null && PropertyType(resourceType, itemType) is { } itemSpec && value is JsonArray items)
            {
                for (var index = 0; index < items.Count; index++)
                {
                    CheckProperties(items[index], itemSpec, $"{path}.{key}[{index}]", resourceType, problems);
                }
            }
            else if (typeName is not null and not ("List" or "Map") && PropertyType(resourceType, typeName) is { } nested)
            {
                CheckProperties(value, nested, $"{path}.{key}", resourceType, problems);
            }
        }

        if (known.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in known.EnumerateObject())
            {
                if (property.Value.TryGetProperty("Required", out var required) && required.GetBoolean() && !properties.ContainsKey(property.Name))
                {
                    problems.Add($"{path}: required property {property.Name} is missing");
                }
            }
        }
    }

    /// <summary>
    /// The names (resources and parameters) a resource refers to through properties whose change replaces it: its own
    /// Immutable properties, or an Immutable property of a property type below a mutable one.
    /// </summary>
    public IEnumerable<string> NamesThatReplace(string resourceType, JsonObject properties) =>
        _resourceTypes.TryGetProperty(resourceType, out var spec) ? NamesUnderImmutable(properties, spec, resourceType) : [];

    private IEnumerable<string> NamesUnderImmutable(JsonNode? node, JsonElement spec, string resourceType)
    {
        if (node is not JsonObject properties || CloudFormation.IsIntrinsic(node) || !spec.TryGetProperty("Properties", out var known))
        {
            yield break;
        }

        foreach (var (key, value) in properties)
        {
            if (!known.TryGetProperty(key, out var property))
            {
                continue;
            }

            if (property.TryGetProperty("UpdateType", out var update) && update.GetString() == "Immutable")
            {
                foreach (var name in CloudFormation.ReferencedNames(value))
                {
                    yield return name;
                }

                continue;
            }

            var typeName = property.TryGetProperty("Type", out var t) ? t.GetString() : null;
            var itemType = property.TryGetProperty("ItemType", out var i) ? i.GetString() : null;
            var nested = typeName is "List" or "Map" ? itemType : typeName;
            if (nested is not null && PropertyType(resourceType, nested) is { } nestedSpec)
            {
                foreach (var item in value is JsonArray items ? items.ToArray() : [value])
                {
                    foreach (var name in NamesUnderImmutable(item, nestedSpec, resourceType))
                    {
                        yield return name;
                    }
                }
            }
        }
    }

    private JsonElement? PropertyType(string resourceType, string name) =>
        _propertyTypes.TryGetProperty($"{resourceType}.{name}", out var spec) ? spec
        : _propertyTypes.TryGetProperty(name, out var shared) ? shared
        : null;
}
