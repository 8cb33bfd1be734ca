using Google.Protobuf;
using Inference.Core.Backends;
using Inference.Core.Model;
using Inference.Core.Scheduling;
using Inference.Core.Serving;
using Inference.DemoModel;
using Inference.Testing;
using Inference.Testing.Gpu;
using Microsoft.Extensions.Logging;

namespace Inference.Core.Tests.Repository;

/// <summary>The one loader: provider choice, verification against the manifest, instances and warm-up.</summary>
public sealed class ModelLoaderTests : IDisposable
{
    private static readonly BackendOptions Cpu = new() { ExecutionProvider = ExecutionProviderPreference.Cpu };
    private readonly string _directory = Directory.CreateTempSubdirectory("loader-").FullName;
    private readonly ModelManifest _manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);

    private string DemoWeights => _manifest.ResolvePath(_manifest.Weights!);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Cpu_is_reported_as_the_provider_with_the_verified_hash()
    {
        await using var loaded = await LocalDetector.LoadAsync(_manifest, DemoWeights, Cpu);

        Assert.Equal(OnnxSessionFactory.CpuProvider, loaded.Model.Provider);
        Assert.Equal(_manifest.Sha256, loaded.Model.Sha256);
    }

    [WithoutGpuFact]
    public async Task Auto_falls_back_to_cpu_with_one_warning_when_cuda_cannot_load()
    {
        var logger = new ListLogger();

        await using var loaded = await LocalDetector.LoadAsync(_manifest, DemoWeights, new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Auto, Instances = 2 }, loggers: new SingleLoggerFactory(logger));

        Assert.Equal(OnnxSessionFactory.CpuProvider, loaded.Model.Provider);
        var warning = Assert.Single(logger.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Contains("falling back to CPU", warning.Message, StringComparison.Ordinal);
    }

    [WithoutGpuFact]
    public async Task Cuda_fails_fast_with_a_clear_error_when_cuda_cannot_load()
    {
        var failure = await Assert.ThrowsAsync<ModelLoadException>(() =>
            LocalDetector.LoadAsync(_manifest, DemoWeights, new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Cuda }));

        Assert.Contains("Inference:ExecutionProvider is 'cuda'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checksum_that_differs_from_the_manifest_is_refused()
    {
        var pinned = _manifest with { Sha256 = new string('0', 64) };

        var failure = await Assert.ThrowsAsync<ModelLoadException>(() => LocalDetector.LoadAsync(pinned, DemoWeights, Cpu));

        Assert.StartsWith("Checksum mismatch", failure.Message, StringComparison.Ordinal);
        Assert.Contains(_manifest.Sha256!, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_input_size_the_model_does_not_have_is_refused_with_both_sizes()
    {
        var wrong = _manifest with { Input = _manifest.Input with { Width = 320, Height = 320 } };

        var failure = await Assert.ThrowsAsync<ModelLoadException>(() => LocalDetector.LoadAsync(wrong, DemoWeights, Cpu));

        Assert.Equal("The manifest says the input is 320×320, but input 'images' is fixed at 640×640 ([?, 3, 640, 640]).", failure.Message);
    }

    [Fact]
    public async Task A_class_list_of_the_wrong_length_is_refused()
    {
        var wrong = _manifest with { Classes = ["red", "green", "blue"] };

        var failure = await Assert.ThrowsAsync<ModelLoadException>(() => LocalDetector.LoadAsync(wrong, DemoWeights, Cpu));

        Assert.Equal(
            "The manifest lists 3 classes, but output 'output0' with shape [1, 8, 6400] holds 4 for the yolov8 format (4 box rows + 4 class rows).",
            failure.Message);
    }

    [Fact]
    public async Task Without_manifest_classes_the_onnx_metadata_names_are_used()
    {
        await using var loaded = await LocalDetector.LoadAsync(_manifest with { Classes = null }, DemoWeights, Cpu);

        Assert.Equal(ShapeClasses.Names, loaded.Model.ClassNames);
    }

    [Theory]
    [InlineData("missing.onnx", "does not exist")]
    [InlineData("garbage.onnx", "could not be loaded as an ONNX model")]
    public async Task Unusable_weights_are_a_load_error(string file, string expected)
    {
        var path = Path.Combine(_directory, file);
        if (file == "garbage.onnx")
        {
            await File.WriteAllTextAsync(path, "definitely not protobuf");
        }

        var failure = await Assert.ThrowsAsync<ModelLoadException>(() => LocalDetector.LoadAsync(_manifest with { Sha256 = null }, path, Cpu));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_instance_is_warmed_at_every_batch_size_of_a_dynamic_model_and_a_static_model_at_its_own()
    {
        var staticPath = Path.Combine(_directory, "static.onnx");
        await File.WriteAllBytesAsync(staticPath, ShapesDetectorGraph.Build(staticBatch: 1).ToByteArray());
        var logger = new ListLogger();
        var backend = Cpu with { Instances = 2 };
        await using var dynamicModel = await LocalDetector.LoadAsync(_manifest, DemoWeights, backend, new BatchingOptions { MaxBatchSize = 4 }, loggers: new SingleLoggerFactory(logger));
        await using var staticModel = await LocalDetector.LoadAsync(_manifest with { Sha256 = null }, staticPath, backend, new BatchingOptions { MaxBatchSize = 4 });

        Assert.Equal([1, 2, 3, 4], dynamicModel.Model.WarmedBatchSizes);

        // Two group instances and the lone one (CPU, several instances), four sizes each.
        Assert.Equal(12, logger.Entries.Count(e => e.Message.StartsWith("Warmed up instance", StringComparison.Ordinal)));
        Assert.Equal((2, 4, true), (dynamicModel.Model.Scheduler.Instances, dynamicModel.Model.Scheduler.MaxBatchSize, dynamicModel.Model.LoneInstance));
        Assert.Equal([1], staticModel.Model.WarmedBatchSizes);
        Assert.Equal(1, staticModel.Model.Scheduler.MaxBatchSize);
    }

    [Fact]
    public async Task A_lone_request_runs_on_the_lone_instance_and_gets_what_the_group_would_give()
    {
        var image = SceneGenerator.Random(5, 640, 480, 4).RenderPng();
        await using var adaptive = await LocalDetector.LoadAsync(_manifest, DemoWeights, Cpu with { Instances = 2 });
        await using var group = await LocalDetector.LoadAsync(_manifest, DemoWeights, Cpu with { Instances = 2, LoneInstance = false });

        // The lone instance takes the second quiet dispatch in a row.
        await adaptive.DetectAsync(image);
        var onLone = await adaptive.DetectAsync(image);
        var onGroup = await group.DetectAsync(image);

        Assert.Equal((2, true), (adaptive.Model.Instances, adaptive.Model.LoneInstance));
        Assert.Equal(2, onLone.Timings.Instance);
        Assert.False(group.Model.LoneInstance);
        Assert.Equal(0, onGroup.Timings.Instance);
        Assert.NotEmpty(onLone.Detections);
        Assert.Equal(onGroup.Detections, onLone.Detections);
    }

    [Fact]
    public async Task A_static_batch_of_one_still_serves_a_request_of_many_with_the_same_results()
    {
        var staticPath = Path.Combine(_directory, "static.onnx");
        await File.WriteAllBytesAsync(staticPath, ShapesDetectorGraph.Build(staticBatch: 1).ToByteArray());
        await using var staticModel = await LocalDetector.LoadAsync(_manifest with { Sha256 = null }, staticPath, Cpu);
        await using var dynamicModel = await LocalDetector.LoadAsync(_manifest, DemoWeights, Cpu);
        var images = Enumerable.Range(0, 3).Select(i => (ReadOnlyMemory<byte>)SceneGenerator.Random(i, 500 + (100 * i), 400, 4).RenderPng()).ToArray();

        var fromStatic = await staticModel.DetectAsync(images);
        var fromDynamic = await dynamicModel.DetectAsync(images);

        Assert.Equal(1, staticModel.Model.Signature.StaticBatchSize);
        Assert.Null(dynamicModel.Model.Signature.StaticBatchSize);
        Assert.All(fromStatic, r => Assert.Equal(1, r.Timings.BatchSize));
        for (var i = 0; i < images.Length; i++)
        {
            Assert.NotEmpty(fromStatic[i].Detections);
            Assert.Equal(fromDynamic[i].Detections, fromStatic[i].Detections);
        }
    }
}
