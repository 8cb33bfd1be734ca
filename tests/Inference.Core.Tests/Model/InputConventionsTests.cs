using Inference.Core.Model;
using Inference.Core.Backends;
using Inference.Core.Serving;
using Inference.Testing;

namespace Inference.Core.Tests.Model;

/// <summary>What a manifest leaves out of its input follows the model and its format, and every such value says where it came from.</summary>
public sealed class InputConventionsTests : IDisposable
{
    private static readonly BackendOptions Cpu = new() { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1 };
    private readonly string _directory = Directory.CreateTempSubdirectory("conventions-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(OutputFormat.Yolov8, ChannelOrder.Rgb, PixelScale.Unit, LetterboxAnchor.Center)]
    [InlineData(OutputFormat.Yolov5, ChannelOrder.Rgb, PixelScale.Unit, LetterboxAnchor.Center)]
    [InlineData(OutputFormat.End2End, ChannelOrder.Rgb, PixelScale.Unit, LetterboxAnchor.Center)]
    [InlineData(OutputFormat.Yolox, ChannelOrder.Bgr, PixelScale.Raw, LetterboxAnchor.TopLeft)]
    public void Each_format_has_its_exporters_conventions(OutputFormat format, ChannelOrder order, PixelScale scale, LetterboxAnchor anchor)
    {
        var (input, defaulted) = InputConventions.Resolve(new ModelInput { Width = 320, Height = 256 }, format);

        Assert.Equal((320, 256, order, scale, anchor, (byte)114), (input.Width, input.Height, input.ChannelOrder, input.PixelScale, input.Anchor, input.PadValue));
        Assert.Equal(["input.channelOrder", "input.pixelScale", "input.anchor", "input.padValue"], defaulted.Select(d => d.Field));
        Assert.All(defaulted, d => Assert.Equal($"the {OutputLayout.Name(format)} format", d.From));
    }

    [Fact]
    public void Declared_values_are_kept_and_not_listed_as_defaulted()
    {
        var (input, defaulted) = InputConventions.Resolve(new ModelInput { Width = 416, Height = 416, ChannelOrder = ChannelOrder.Rgb, PadValue = 0 }, OutputFormat.Yolox);

        Assert.Equal((ChannelOrder.Rgb, (byte)0, PixelScale.Raw), (input.ChannelOrder, input.PadValue, input.PixelScale));
        Assert.Equal([new DefaultedValue("input.pixelScale", "0-255", "the yolox format"), new DefaultedValue("input.anchor", "topLeft", "the yolox format")], defaulted);
    }

    [Theory]
    [InlineData("[640, 480]", 480, 640)]
    [InlineData("(320, 320)", 320, 320)]
    [InlineData("416", 416, 416)]
    public void Ultralytics_imgsz_is_height_then_width(string imgsz, int width, int height)
    {
        var metadata = OnnxModelMetadata.Read(new Dictionary<string, string> { ["imgsz"] = imgsz, ["stride"] = "32", ["task"] = "detect" });

        Assert.Equal((width, height), metadata.ImageSize);
        Assert.Equal(32, metadata.Stride);
        Assert.Equal("detect", metadata.Task);
    }

    [SkippableFact]
    public async Task A_yolox_model_served_from_a_minimal_manifest_gets_yolox_conventions_and_finds_the_person()
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        var minimal = ModelManifest.Parse($$"""
            { "name": "yolox-nano", "version": "1", "classes": {{System.Text.Json.JsonSerializer.Serialize(YoloxFixture.Manifest().Classes)}},
              "postprocess": { "confidence": 0.3, "agnostic": true } }
            """);

        await using var detector = await LocalDetector.LoadAsync(minimal, Path.Combine(YoloxFixture.ModelDirectory, YoloxFixture.DynamicModel), Cpu);
        var found = (await detector.DetectAsync(await File.ReadAllBytesAsync(YoloxFixture.Photo("astronaut.png")))).Detections;
        var input = detector.Model.Input;

        Assert.Equal(OutputFormat.Yolox, detector.Model.Format);
        Assert.Equal((416, 416, ChannelOrder.Bgr, PixelScale.Raw, LetterboxAnchor.TopLeft), (input.Width, input.Height, input.ChannelOrder, input.PixelScale, input.Anchor));
        var person = Assert.Single(found);
        Assert.Equal("person", person.ClassName);
        Assert.Equal(0.925f, person.Confidence, 0.05f);
        Assert.Equal(
            [
                new DefaultedValue("input.width", "416", "the fixed shape [?, 3, 416, 416] of input 'images'"),
                new DefaultedValue("input.height", "416", "the fixed shape [?, 3, 416, 416] of input 'images'"),
                new DefaultedValue("format", "yolox", "the shape [1, 3549, 85] of output 'output'"),
                new DefaultedValue("input.channelOrder", "bgr", "the yolox format"),
                new DefaultedValue("input.pixelScale", "0-255", "the yolox format"),
                new DefaultedValue("input.anchor", "topLeft", "the yolox format"),
                new DefaultedValue("input.padValue", "114", "the yolox format"),
            ],
            detector.Model.Defaulted);
    }

    [Fact]
    public async Task Every_defaulted_value_is_logged_with_what_decided_it()
    {
        var logger = new ListLogger();
        var weights = TestModels.Demo(_directory, "dynamic.onnx", TestModels.DynamicSize);

        await using var detector = await LocalDetector.LoadAsync(new ModelManifest { Name = "d", Version = "1" }, weights, Cpu, loggers: new SingleLoggerFactory(logger));

        Assert.Contains("Model d: the manifest leaves input.width out: 640, from the ONNX metadata imgsz [640, 640]", logger.Entries.Select(e => e.Message));
        Assert.Contains("Model d: the manifest leaves classes out: 4 names, from the ONNX metadata names", logger.Entries.Select(e => e.Message));
        Assert.Contains("Model d: the manifest leaves input.pixelScale out: 0-1, from the yolov8 format", logger.Entries.Select(e => e.Message));
    }

    [Fact]
    public async Task A_dynamic_input_without_imgsz_needs_the_size_in_the_manifest()
    {
        var weights = TestModels.Demo(_directory, "bare.onnx", m => { TestModels.DynamicSize(m); TestModels.Metadata("imgsz", null)(m); });

        var failure = await Assert.ThrowsAsync<ModelLoadException>(() => LocalDetector.LoadAsync(new ModelManifest { Name = "d", Version = "1" }, weights, Cpu));

        Assert.Equal(
            "Input 'images' has the dynamic shape [?, 3, ?, ?] and the model carries no imgsz metadata, so its size is unknown: set 'input.width' and 'input.height' in the manifest.",
            failure.Message);
    }

    [Fact]
    public async Task A_model_for_another_task_is_refused_by_its_metadata()
    {
        var weights = TestModels.Demo(_directory, "segment.onnx", TestModels.Metadata("task", "segment"));

        var failure = await Assert.ThrowsAsync<ModelLoadException>(() => LocalDetector.LoadAsync(new ModelManifest { Name = "d", Version = "1" }, weights, Cpu));

        Assert.Equal("The ONNX metadata says task 'segment'; this service serves detection models (task 'detect'). Export a detection model instead.", failure.Message);
    }

    [Fact]
    public async Task An_input_size_off_the_models_stride_is_refused()
    {
        var weights = TestModels.Demo(_directory, "stride.onnx", m => { TestModels.DynamicSize(m); TestModels.Metadata("stride", "32")(m); });

        var failure = await Assert.ThrowsAsync<ModelLoadException>(() => LocalDetector.LoadAsync(ModelManifest.Parse("""{ "name": "d", "version": "1", "input": { "width": 650, "height": 650 } }"""), weights, Cpu));

        Assert.Equal("The input 650×650 is not a multiple of the model's stride 32 (ONNX metadata 'stride'); use a size such as 672×672.", failure.Message);
    }

    [Fact]
    public async Task The_yolov5_and_end2end_layouts_get_ultralytics_conventions()
    {
        var yolov5 = TestModels.Demo(_directory, "v5.onnx", TestModels.Yolov5Layout);
        var end2end = TestModels.Write(_directory, "e2e.onnx", TestModels.End2End([(10, 20, 110, 220, 0.9f, 1)]));

        await using var v5 = await LocalDetector.LoadAsync(new ModelManifest { Name = "v5", Version = "1" }, yolov5, Cpu);
        await using var e2e = await LocalDetector.LoadAsync(new ModelManifest { Name = "e2e", Version = "1", Classes = ["a", "b"], Input = new ModelInput { Width = 640, Height = 640 } }, end2end, Cpu);

        Assert.Equal(OutputFormat.Yolov5, v5.Model.Format);
        Assert.Equal(OutputFormat.End2End, e2e.Model.Format);
        Assert.All([v5.Model.Input, e2e.Model.Input], i => Assert.Equal((ChannelOrder.Rgb, PixelScale.Unit, LetterboxAnchor.Center, (byte)114), (i.ChannelOrder, i.PixelScale, i.Anchor, i.PadValue)));
        var golden = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        Assert.Equal(4, (await v5.DetectAsync(golden)).Detections.Count);
        var only = Assert.Single((await e2e.DetectAsync(golden)).Detections);
        Assert.Equal(("b", 0.9f), (only.ClassName, only.Confidence));
    }
}
