using Google.Protobuf;
using Inference.Core.Model;
using Inference.Core.Pipeline;
using Inference.Testing;
using Inference.DemoModel;
using Microsoft.Extensions.Logging;

namespace Inference.Core.Tests.Model;

public sealed class OnnxDetectorTests : IDisposable
{
    private static readonly DetectorOptions Cpu = new() { ExecutionProvider = ExecutionProviderPreference.Cpu };
    private readonly string _directory = Directory.CreateTempSubdirectory("detector-").FullName;
    private readonly ModelManifest _manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);

    private string DemoWeights => _manifest.ResolvePath(_manifest.Weights!);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Cpu_is_reported_as_the_active_provider()
    {
        using var detector = OnnxDetector.Load(DemoWeights, _manifest, Cpu);

        Assert.Equal(OnnxDetector.CpuProvider, detector.ActiveProvider);
        Assert.Equal(_manifest.Sha256, detector.Sha256);
    }

    [Fact]
    public void Auto_falls_back_to_cpu_with_one_warning_when_cuda_cannot_load()
    {
        var logger = new ListLogger();

        using var detector = OnnxDetector.Load(DemoWeights, _manifest, new DetectorOptions { ExecutionProvider = ExecutionProviderPreference.Auto }, logger);

        Assert.Equal(OnnxDetector.CpuProvider, detector.ActiveProvider);
        var warning = Assert.Single(logger.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Contains("falling back to CPU", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_fails_fast_with_a_clear_error_when_cuda_cannot_load()
    {
        var failure = Assert.Throws<ModelLoadException>(() =>
            OnnxDetector.Load(DemoWeights, _manifest, new DetectorOptions { ExecutionProvider = ExecutionProviderPreference.Cuda }));

        Assert.Contains("Inference:ExecutionProvider is 'cuda'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checksum_that_differs_from_the_manifest_is_refused()
    {
        var pinned = _manifest with { Sha256 = new string('0', 64) };

        var failure = Assert.Throws<ModelLoadException>(() => OnnxDetector.Load(DemoWeights, pinned, Cpu));

        Assert.StartsWith("Checksum mismatch", failure.Message, StringComparison.Ordinal);
        Assert.Contains(_manifest.Sha256!, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_input_size_the_model_does_not_have_is_refused_with_both_sizes()
    {
        var wrong = _manifest with { Input = _manifest.Input with { Width = 320, Height = 320 } };

        var failure = Assert.Throws<ModelLoadException>(() => OnnxDetector.Load(DemoWeights, wrong, Cpu));

        Assert.Equal("The manifest says the input is 320×320, but input 'images' is fixed at 640×640 ([?, 3, 640, 640]).", failure.Message);
    }

    [Fact]
    public void A_class_list_of_the_wrong_length_is_refused()
    {
        var wrong = _manifest with { Classes = ["red", "green", "blue"] };

        var failure = Assert.Throws<ModelLoadException>(() => OnnxDetector.Load(DemoWeights, wrong, Cpu));

        Assert.Equal(
            "The manifest lists 3 classes, but output 'output0' with shape [1, 8, 6400] holds 4 for the yolov8 format (4 box rows + 4 class rows).",
            failure.Message);
    }

    [Fact]
    public void Without_manifest_classes_the_onnx_metadata_names_are_used()
    {
        using var detector = OnnxDetector.Load(DemoWeights, _manifest with { Classes = null }, Cpu);

        Assert.Equal(ShapeClasses.Names, detector.ClassNames);
    }

    [Theory]
    [InlineData("missing.onnx", "does not exist")]
    [InlineData("garbage.onnx", "could not be loaded as an ONNX model")]
    public void Unusable_weights_are_a_load_error(string file, string expected)
    {
        var path = Path.Combine(_directory, file);
        if (file == "garbage.onnx")
        {
            File.WriteAllText(path, "definitely not protobuf");
        }

        var failure = Assert.Throws<ModelLoadException>(() => OnnxDetector.Load(path, _manifest with { Sha256 = null }, Cpu));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_static_batch_of_one_still_serves_a_batch_of_many_with_the_same_results()
    {
        var staticPath = Path.Combine(_directory, "static.onnx");
        File.WriteAllBytes(staticPath, ShapesDetectorGraph.Build(staticBatch: 1).ToByteArray());
        using var staticDetector = OnnxDetector.Load(staticPath, _manifest with { Sha256 = null }, Cpu);
        using var dynamicDetector = OnnxDetector.Load(DemoWeights, _manifest, Cpu);
        var images = Enumerable.Range(0, 3).Select(i => (ReadOnlyMemory<byte>)SceneGenerator.Random(i, 500 + (100 * i), 400, 4).RenderPng()).ToArray();

        var fromStatic = new DetectionPipeline(staticDetector).Detect(images);
        var fromDynamic = new DetectionPipeline(dynamicDetector).Detect(images);

        Assert.Equal(1, staticDetector.StaticBatchSize);
        Assert.Null(dynamicDetector.StaticBatchSize);
        Assert.Equal(3, fromStatic.Count);
        for (var i = 0; i < images.Length; i++)
        {
            Assert.NotEmpty(fromStatic[i].Detections);
            Assert.Equal(fromDynamic[i].Detections, fromStatic[i].Detections);
        }
    }

    [Fact]
    public void Warm_up_runs_every_batch_size_of_a_dynamic_model_and_only_the_fixed_one_of_a_static_model()
    {
        var staticPath = Path.Combine(_directory, "static.onnx");
        File.WriteAllBytes(staticPath, ShapesDetectorGraph.Build(staticBatch: 1).ToByteArray());
        using var dynamicDetector = OnnxDetector.Load(DemoWeights, _manifest, Cpu);
        using var staticDetector = OnnxDetector.Load(staticPath, _manifest with { Sha256 = null }, Cpu);

        dynamicDetector.Warmup([1, 2, 3, 4]);
        staticDetector.Warmup([1, 2, 3, 4]);

        Assert.Equal([1, 2, 3, 4], dynamicDetector.WarmedBatchSizes);
        Assert.Equal([1], staticDetector.WarmedBatchSizes);
    }
}
