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

    public static bool IsIntrinsic(JsonNode? node) =>
        node is JsonObject obj && obj.Count == 1 && obj.First().Key is var key && (key == "Ref" || key.StartsWith("Fn::", StringComparison.Ordinal));

    public static IReadOnlyList<JsonNode?> AsList(JsonNode? node) => node is JsonArray array ? [.. array] : [node];

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
                problems.Add($"{path}.{key}: not a property of {resourceType}");
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

    private JsonElement? PropertyType(string resourceType, string name) =>
        _propertyTypes.TryGetProperty($"{resourceType}.{name}", out var spec) ? spec
        : _propertyTypes.TryGetProperty(name, out var shared) ? shared
        : null;
}
