using Inference.Core.Model;
using Inference.Testing;

namespace Inference.Core.Tests.Model;

public sealed class ModelManifestTests
{
    private const string Minimal = """
        { "name": "m", "version": "3", "input": { "width": 416, "height": 320 } }
        """;

    [Fact]
    public void A_minimal_manifest_gets_the_documented_defaults()
    {
        var manifest = ModelManifest.Parse(Minimal);

        Assert.Null(manifest.Format);
        Assert.Equal(ChannelOrder.Rgb, manifest.Input.ChannelOrder);
        Assert.Equal(PixelScale.Unit, manifest.Input.PixelScale);
        Assert.Equal(LetterboxAnchor.Center, manifest.Input.Anchor);
        Assert.Equal(114, manifest.Input.PadValue);
        Assert.Equal([8, 16, 32], manifest.EffectiveStrides);
        Assert.Equal(0.25f, manifest.Postprocess.Confidence);
        Assert.Equal(0.45f, manifest.Postprocess.Iou);
        Assert.Equal(300, manifest.Postprocess.MaxDetections);
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
        Assert.Equal(0, manifest.Input.PadValue);
    }

    [Fact]
    public void The_demo_manifest_round_trips()
    {
        var manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);

        var again = ModelManifest.Parse(manifest.ToJson(), manifest.BaseDirectory);

        Assert.Equal(manifest.ToJson(), again.ToJson());
        Assert.Equal(Path.Combine(RepositoryPaths.DemoModelDirectory, "model.onnx"), manifest.ResolvePath(manifest.Weights!));
    }

    [Theory]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 416, "height": 416, "widht": 3 } }""", "widht")]
    [InlineData("""{ "version": "1", "input": { "width": 416, "height": 416 } }""", "name")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 0, "height": 416 } }""", "input.width")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 416, "height": 416 }, "sha256": "abc" }""", "sha256")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 416, "height": 416 }, "format": "yolov9" }""", "$.format")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 416, "height": 416 }, "postprocess": { "iou": 0 } }""", "iou")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 416, "height": 416 }, "classes": ["a", ""] }""", "classes[1]")]
    [InlineData("""{ "name": "m", "version": "1", "input": { "width": 416, "height": 416 }, "strides": [8, 0] }""", "strides")]
    [InlineData("not json", "not valid")]
    public void An_invalid_manifest_fails_with_a_sentence_naming_the_field(string json, string mentioned)
    {
        var failure = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, source: "m.json"));

        Assert.Contains(mentioned, failure.Message, StringComparison.Ordinal);
        Assert.Contains("m.json", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_manifest_file_is_a_load_error()
    {
        var failure = Assert.Throws<ModelLoadException>(() => ModelManifest.Load("/nonexistent/manifest.json"));

        Assert.Contains("/nonexistent/manifest.json", failure.Message, StringComparison.Ordinal);
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
