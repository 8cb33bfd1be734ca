using Inference.Core.Model;
using Inference.Testing;

namespace Inference.Core.Tests.Model;

public sealed class ModelManifestTests
{
    private const string Minimal = """
        { "name": "m", "version": "3", "input": { "width": 416, "height": 320 } }
        """;

    private static IReadOnlyList<string> Problems(string json) =>
        Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, source: "m.json")).Problems;

    [Fact]
    public void A_minimal_manifest_leaves_the_input_conventions_to_the_model_and_its_format()
    {
        var manifest = ModelManifest.Parse(Minimal);

        Assert.Null(manifest.Format);
        Assert.Null(manifest.Input.ChannelOrder);
        Assert.Null(manifest.Input.PixelScale);
        Assert.Null(manifest.Input.Anchor);
        Assert.Null(manifest.Input.PadValue);
        Assert.Equal([8, 16, 32], manifest.EffectiveStrides);
        Assert.Equal(0.25f, manifest.Postprocess.Confidence);
        Assert.Equal(0.45f, manifest.Postprocess.Iou);
        Assert.Equal(300, manifest.Postprocess.MaxDetections);
    }

    [Fact]
    public void Name_and_version_are_enough_when_the_model_knows_its_size()
    {
        var manifest = ModelManifest.Parse("""{ "name": "m", "version": "1", "weights": "model.onnx" }""");

        Assert.Null(manifest.Input.Width);
        Assert.Equal("model.onnx", manifest.Weights);
    }

    [Fact]
    public void Every_enum_is_spelled_as_documented()
    {
        var manifest = ModelManifest.Parse("""
            { "name": "m", "version": "1", "format": "yolox",
              "input": { "width": 416, "height": 416, "channelOrder": "bgr", "pixelScale": "0-255", "anchor": "topLeft", "padValue": 0 } }
            """);

        Assert.Equal(OutputFormat.Yolox, manifest.Format);
        Assert.Equal(ChannelOrder.Bgr, manifest.Input.ChannelOrder);
        Assert.Equal(PixelScale.Raw, manifest.Input.PixelScale);
        Assert.Equal(LetterboxAnchor.TopLeft, manifest.Input.Anchor);
        Assert.Equal((byte)0, manifest.Input.PadValue);
    }

    [Theory]
    [InlineData("\"pixelScale\": \"1\"", "'$.input.pixelScale' must be one of \"0-1\", \"0-255\" (got \"1\").")]
    [InlineData("\"pixelScale\": \"255\"", "'$.input.pixelScale' must be one of \"0-1\", \"0-255\" (got \"255\").")]
    [InlineData("\"pixelScale\": 1", "'$.input.pixelScale' must be one of \"0-1\", \"0-255\" (got the number 1); enums are written as their names, never as numbers.")]
    [InlineData("\"anchor\": 5", "'$.input.anchor' must be one of \"center\", \"topLeft\" (got the number 5); enums are written as their names, never as numbers.")]
    [InlineData("\"channelOrder\": \"RGB\"", "'$.input.channelOrder' must be one of \"rgb\", \"bgr\" (got \"RGB\").")]
    public void Enums_are_refused_unless_written_as_their_documented_strings(string field, string sentence)
    {
        var problems = Problems($$"""{ "name": "m", "version": "1", "input": { "width": 416, "height": 416, {{field}} } }""");

        Assert.Equal(sentence, Assert.Single(problems));
    }

    [Fact]
    public void A_misspelt_field_is_named_with_the_closest_valid_name_and_the_valid_list()
    {
        var problem = Assert.Single(Problems("""{ "name": "m", "version": "1", "input": { "widht": 416, "height": 416 } }"""));

        Assert.Equal(
            "'$.input.widht' is not a field of '$.input'; did you mean 'width'? The fields of '$.input' are: width, height, channelOrder, pixelScale, anchor, padValue, tensor.",
            problem);
        Assert.DoesNotContain(".NET", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "name": "m", "version": "1", "Input": {} }""", "'$.Input' is not a field of the manifest; did you mean 'input'?")]
    [InlineData("""{ "name": "m", "version": "1", "golden": [{ "image": "a.png", "expected": [], "boxTolerence": 2 }] }""", "'$.golden[0].boxTolerence' is not a field of '$.golden[0]'; did you mean 'boxTolerance'?")]
    [InlineData("""{ "name": "m", "version": "1", "postprocess": { "conf": 0.5 } }""", "'$.postprocess.conf' is not a field of '$.postprocess'; did you mean 'confidence'?")]
    [InlineData("""{ "name": "m", "version": "1", "labels": ["a"] }""", "'$.labels' is not a field of the manifest. The fields of the manifest are: $schema, name, version, format,")]
    public void Unknown_fields_are_named_at_every_depth(string json, string start)
    {
        Assert.StartsWith(start, Assert.Single(Problems(json)), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_each_as_one_sentence_naming_its_json_path()
    {
        var problems = Problems("""
            { "version": 2, "format": "yolov9", "input": { "width": "640", "height": 416.5, "padValue": 300 },
              "classes": ["a", 3], "postprocess": { "agnostic": "yes" } }
            """);

        Assert.Equal(
            [
                "'$.version' must be a string (got the number 2).",
                "'$.format' must be one of \"yolov8\", \"yolov5\", \"yolox\", \"end2end\" (got \"yolov9\").",
                "'$.input.width' must be a number (got \"640\").",
                "'$.input.height' must be a whole number (got the number 416.5).",
                "'$.input.padValue' must be between 0 and 255 (got the number 300).",
                "'$.classes[1]' must be a string (got the number 3).",
                "'$.postprocess.agnostic' must be true or false (got \"yes\").",
                "'$.name' is required.",
            ],
            problems);
        Assert.All(problems, p => Assert.Matches(@"^'\$[^']*' [^\n]*\.$", p));
    }

    [Theory]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 0, "height": 416 } }""", "'$.input.width' must be positive (got 0).")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 416 } }""", "'$.input.width' and '$.input.height' go together: give both, or neither to take the model's own size.")]
    [InlineData("""{ "name": "m", "version": "1", "sha256": "abc" }""", "'$.sha256' must be 64 hexadecimal characters (got 'abc').")]
    [InlineData("""{ "name": "m", "version": "1", "postprocess": { "iou": 0 } }""", "'$.postprocess.iou' must be a number greater than 0 and at most 1 (got 0).")]
    [InlineData("""{ "name": "m", "version": "1", "classes": ["a", ""] }""", "'$.classes[1]' must not be empty.")]
    [InlineData("""{ "name": "m", "version": "1", "strides": [8, 0] }""", "'$.strides' must list positive integers.")]
    [InlineData("""{ "name": " ", "version": "1" }""", "'$.name' must not be empty.")]
    [InlineData("""{ "name": "m", "version": "1", "input": null }""", "'$.input' must not be null; leave the field out instead.")]
    [InlineData("""{ "name": null, "version": "1" }""", "'$.name' must not be null.")]
    [InlineData("""{ "name": "m", "version": "1", "name": "n" }""", "It is not valid JSON: Duplicate property 'name'")]
    [InlineData("not json", "It is not valid JSON: line 1, position 2:")]
    public void Rules_beyond_types_are_sentences_naming_their_path(string json, string start)
    {
        var failure = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, source: "m.json"));

        Assert.StartsWith(start, Assert.Single(failure.Problems), StringComparison.Ordinal);
        Assert.StartsWith("The model manifest 'm.json' is not valid: ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_schema_reference_editors_use_is_accepted_and_kept()
    {
        var manifest = ModelManifest.Parse("""{ "$schema": "../manifest.schema.json", "name": "m", "version": "1" }""");

        Assert.Equal("../manifest.schema.json", manifest.Schema);
        Assert.StartsWith("{\n  \"$schema\": \"../manifest.schema.json\",", manifest.ToJson().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_demo_manifest_round_trips()
    {
        var manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);

        var again = ModelManifest.Parse(manifest.ToJson(), manifest.BaseDirectory);

        Assert.Equal(manifest.ToJson(), again.ToJson());
        Assert.Equal(Path.Combine(RepositoryPaths.DemoModelDirectory, "model.onnx"), manifest.ResolvePath(manifest.Weights!));
    }

    [Fact]
    public void A_missing_manifest_file_is_a_load_error()
    {
        var failure = Assert.Throws<ModelLoadException>(() => ModelManifest.Load("/nonexistent/manifest.json"));

        Assert.Contains("/nonexistent/manifest.json", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_too_large_to_be_a_manifest_is_not_read()
    {
        var path = Path.Combine(Path.GetTempPath(), $"huge-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"name\": \"" + new string('a', (int)ModelManifest.MaxBytes) + "\"}");
        try
        {
            var failure = Assert.Throws<ModelLoadException>(() => ModelManifest.Load(path));

            Assert.Contains("a manifest is at most 1048576", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{0: 'person', 1: 'bicycle', 2: \"traffic light\"}", new[] { "person", "bicycle", "traffic light" })]
    [InlineData("{1: 'b', 0: 'a'}", new[] { "a", "b" })]
    [InlineData("{'0': 'a', '1': 'b'}", new[] { "a", "b" })]
    [InlineData("{0: 'o\\'clock'}", new[] { "o'clock" })]
    [InlineData("[\"cat\", \"dog\"]", new[] { "cat", "dog" })]
    public void Ultralytics_and_json_class_names_are_read_from_metadata(string text, string[] expected)
    {
        Assert.True(OnnxClassNames.TryParse(text, out var names));
        Assert.Equal(expected, names);
    }

    [Theory]
    [InlineData("{0: 'a', 2: 'c'}")]
    [InlineData("{0: 'a', 0: 'b'}")]
    [InlineData("{0: 'a'")]
    [InlineData("{}")]
    [InlineData("person,bicycle")]
    [InlineData("[1, 2]")]
    public void Malformed_or_gapped_names_are_not_trusted(string text)
    {
        Assert.False(OnnxClassNames.TryParse(text, out _));
    }
}
