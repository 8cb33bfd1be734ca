using System.Text.Json.Nodes;
using Inference.Core.Model;
using Inference.Testing;
using Json.Schema;

namespace Inference.Core.Tests.Model;

/// <summary>
/// The JSON Schema in models/manifest.schema.json (what editors complete and check) against the manifest type the
/// service reads: the same fields, required ones, types and enum spellings at every depth, and the same verdicts.
/// </summary>
public sealed class ManifestSchemaTests
{
    private static readonly string SchemaPath = Path.Combine(RepositoryPaths.Root, "models", "manifest.schema.json");
    private static readonly JsonObject SchemaDocument = JsonNode.Parse(File.ReadAllText(SchemaPath))!.AsObject();
    private static readonly JsonSchema Schema = JsonSchema.FromFile(SchemaPath);

    [Fact]
    public void The_schema_and_the_manifest_type_describe_the_same_fields_types_and_enums()
    {
        AgreeObject(typeof(ModelManifest), SchemaDocument, "$");
    }

    [Fact]
    public void The_demo_manifest_points_editors_at_the_schema_and_passes_it()
    {
        var json = File.ReadAllText(RepositoryPaths.DemoManifest);
        var manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);

        Assert.Equal(Path.GetFullPath(SchemaPath), manifest.ResolvePath(manifest.Schema!));
        AssertValid(json);
    }

    [Fact]
    public void A_manifest_stating_every_field_passes_both()
    {
        // Built here, not from the YOLOX fixture: this test needs no shared files.
        var manifest = new ModelManifest
        {
            Name = "yolox-nano",
            Version = "0.1.1",
            Format = Inference.Core.Model.OutputFormat.Yolox,
            Input = YoloxFixture.Input with { Tensor = "images" },
            Classes = ["person", "bicycle"],
            Postprocess = new PostprocessDefaults { Confidence = 0.3f, Iou = 0.45f, Agnostic = true },
            Schema = "manifest.schema.json",
            Sha256 = new string('a', 64),
            Weights = "yolox_nano.onnx",
            Output = "output",
            Strides = [8, 16, 32],
            Golden = [new GoldenCheck { Image = "a.png", Expected = [new ExpectedDetection("person", 0.9f, new(1, 2, 3, 4))], Confidence = 0.3f }],
        };

        var json = manifest.ToJson();

        ModelManifest.Parse(json);
        AssertValid(json);
    }

    [Theory]
    [InlineData("""{ "name": "m", "version": "1", "input": { "widht": 416, "height": 416 } }""")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "pixelScale": 1 } }""")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "anchor": "left" } }""")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 416 } }""")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": "416", "height": 416 } }""")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "padValue": 256 } }""")]
    [InlineData("""{ "name": "m", "version": 1 }""")]
    [InlineData("""{ "version": "1" }""")]
    [InlineData("""{ "name": "m", "version": "1", "format": "yolov9" }""")]
    [InlineData("""{ "name": "m", "version": "1", "sha256": "abc" }""")]
    [InlineData("""{ "name": "m", "version": "1", "postprocess": { "iou": 0 } }""")]
    [InlineData("""{ "name": "m", "version": "1", "golden": [{ "image": "a.png" }] }""")]
    [InlineData("""{ "name": "m", "version": "1", "golden": [{ "image": "a.png", "expected": [{ "class": "a", "confidence": 1, "box": { "x1": 0, "y1": 0, "x2": 1 } }] }] }""")]
    [InlineData("""{ "name": "m", "version": "1", "output": null }""")]
    public void What_the_service_refuses_the_schema_refuses(string json)
    {
        Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json));
        Assert.False(Schema.Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement).IsValid, $"The schema accepts {json}");
    }

    private static void AssertValid(string json)
    {
        var result = Schema.Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List });
        Assert.True(result.IsValid, string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    private static void AgreeObject(Type type, JsonObject schema, string path)
    {
        Assert.True(schema["type"]?.GetValue<string>() == "object", $"{path} should be an object in the schema.");
        Assert.True(schema["additionalProperties"]?.GetValue<bool>() == false, $"{path} must refuse unknown fields in the schema, as the reader does.");
        var properties = schema["properties"]!.AsObject();
        var fields = ManifestContract.Fields(type);
        Assert.Equal(fields.Select(f => f.Name).Order(StringComparer.Ordinal), properties.Select(p => p.Key).Order(StringComparer.Ordinal));
        var required = schema["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [];
        Assert.Equal(fields.Where(f => f.Required).Select(f => f.Name).Order(StringComparer.Ordinal), required.Order(StringComparer.Ordinal));
        foreach (var field in fields)
        {
            AgreeValue(field.Type, Resolve(properties[field.Name]!.AsObject()), $"{path}.{field.Name}");
        }
    }

    private static void AgreeValue(Type declared, JsonObject schema, string path)
    {
        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        var schemaType = schema["type"]?.GetValue<string>();
        if (type.IsEnum)
        {
            Assert.Equal("string", schemaType);
            Assert.Equal(ManifestEnums.Names(type), schema["enum"]!.AsArray().Select(e => e!.GetValue<string>()));
        }
        else if (type == typeof(string))
        {
            Assert.True(schemaType == "string", $"{path} is a string.");
        }
        else if (type == typeof(bool))
        {
            Assert.True(schemaType == "boolean", $"{path} is a boolean.");
        }
        else if (type == typeof(int) || type == typeof(byte))
        {
            Assert.True(schemaType == "integer", $"{path} is an integer.");
            if (type == typeof(byte))
            {
                Assert.Equal((0, 255), (schema["minimum"]!.GetValue<int>(), schema["maximum"]!.GetValue<int>()));
            }
        }
        else if (type == typeof(float) || type == typeof(double))
        {
            Assert.True(schemaType == "number", $"{path} is a number.");
        }
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            Assert.True(schemaType == "array", $"{path} is a list.");
            AgreeValue(type.GetGenericArguments()[0], Resolve(schema["items"]!.AsObject()), $"{path}[]");
        }
        else
        {
            AgreeObject(type, schema, path);
        }
    }

    private static JsonObject Resolve(JsonObject schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference
            ? SchemaDocument["definitions"]![reference["#/definitions/".Length..]]!.AsObject()
            : schema;
}
