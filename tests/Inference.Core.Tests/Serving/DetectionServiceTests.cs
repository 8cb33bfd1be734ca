using Google.Protobuf;
using Inference.Core.Backends;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Onnx;
using Inference.Core.Postprocessing;
using Inference.Core.Scheduling;
using Inference.Core.Serving;
using Inference.DemoModel;
using Inference.Testing;

namespace Inference.Core.Tests.Serving;

/// <summary>The one request path over a real model: batching with company, failures by position, filters and timings.</summary>
public sealed class DetectionServiceTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    private static ReadOnlyMemory<byte>[] Images(int count) =>
        [.. Enumerable.Range(0, count).Select(i => (ReadOnlyMemory<byte>)SceneGenerator.Random(i + 40, 400 + (37 * i), 300 + (23 * i), 4).RenderPng())];

    [Fact]
    public async Task Concurrent_requests_share_batches_and_each_gets_its_own_detections()
    {
        var images = Images(8);
        var alone = new List<IReadOnlyList<Detection>>();
        foreach (var image in images)
        {
            alone.Add((await demo.Detector.DetectAsync(image)).Detections);
        }

        // A long delay and a batch of exactly eight make the sharing certain: the batch runs when the eighth arrives.
        await using var batching = await LocalDetector.LoadAsync(demo.Manifest, demo.Manifest.ResolvePath(demo.Manifest.Weights!), batching: new BatchingOptions { MaxBatchSize = 8, MaxDelayMs = 10_000 });
        var together = await Task.WhenAll(images.Select(image => Task.Run(() => batching.DetectAsync(image))));

        Assert.All(together, r => Assert.Equal(8, r.Timings.BatchSize));
        for (var i = 0; i < images.Length; i++)
        {
            Assert.NotEmpty(alone[i]);
            Assert.Equal(alone[i], together[i].Detections);
        }

        Assert.Equal(0, demo.Detector.Model.Scheduler.QueuedImages);
    }

    [Fact]
    public async Task A_bad_image_among_several_is_reported_by_its_position_and_leaves_the_queue_empty()
    {
        ReadOnlyMemory<byte>[] images = [DemoModelFiles.GoldenScene().RenderPng(), "not an image"u8.ToArray(), new byte[3]];

        var failure = await Assert.ThrowsAsync<ImageDecodeException>(() => demo.Detector.DetectAsync(images));

        Assert.Equal(1, failure.ImageIndex);
        Assert.Equal(ImageFailureReason.NotAnImage, failure.Reason);
        Assert.StartsWith("Image 1: ", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, demo.Detector.Model.Scheduler.QueuedImages);
    }

    [Fact]
    public async Task Confidence_and_class_filters_shape_the_result()
    {
        var golden = DemoModelFiles.GoldenScene().RenderPng();
        Assert.True(ClassFilter.TryParse("blue, 3", demo.Detector.Model.ClassNames, out var ids, out _));

        var filtered = await demo.Detector.DetectAsync(golden, demo.Detector.Model.DefaultOptions with { ClassIds = ids });
        var capped = await demo.Detector.DetectAsync(golden, demo.Detector.Model.DefaultOptions with { MaxDetections = 2 });

        Assert.Equal(["blue", "yellow"], filtered.Detections.Select(d => d.ClassName).Order());
        Assert.Equal(2, capped.Detections.Count);
    }

    [Fact]
    public async Task Every_stage_is_timed()
    {
        var result = await demo.Detector.DetectAsync(DemoModelFiles.GoldenScene().RenderPng());

        Assert.True(result.Timings.DecodeMs > 0);
        Assert.True(result.Timings.PreprocessMs > 0);
        Assert.True(result.Timings.InferenceMs > 0);
        Assert.True(result.Timings.PostprocessMs > 0);
        Assert.True(result.Timings.QueueMs >= 0);
        Assert.Equal(1, result.Timings.BatchSize);
    }

    [Fact]
    public async Task A_request_refused_by_the_queue_costs_no_decode()
    {
        await using var tight = await LocalDetector.LoadAsync(demo.Manifest, demo.Manifest.ResolvePath(demo.Manifest.Weights!), batching: new BatchingOptions { MaxQueue = 2 });

        // Three images in one request can never fit a queue of two: refused whole, before anything is decoded.
        var refused = await Assert.ThrowsAsync<QueueFullException>(() => tight.DetectAsync(["not even an image"u8.ToArray(), new byte[1], new byte[2]]));

        Assert.Equal(2, refused.Capacity);
        Assert.Equal(0, tight.Model.Scheduler.QueuedImages);
    }

    [Theory]
    [InlineData("red,green", new[] { 0, 1 })]
    [InlineData("YELLOW", new[] { 3 })]
    [InlineData("2", new[] { 2 })]
    [InlineData(" 0 , blue ", new[] { 0, 2 })]
    public void Class_filters_accept_names_and_ids(string text, int[] expected)
    {
        Assert.True(ClassFilter.TryParse(text, ShapeClasses.Names, out var ids, out var error), error);
        Assert.Equal(expected, ids!.Order());
    }

    [Theory]
    [InlineData("purple")]
    [InlineData("4")]
    [InlineData("-1")]
    [InlineData(",")]
    public void Unknown_classes_are_refused_with_the_valid_range(string text)
    {
        Assert.False(ClassFilter.TryParse(text, ShapeClasses.Names, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}

/// <summary>A real ORT model that runs at batch 1 and fails at any larger batch.</summary>
public sealed class FailingBatchTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("failing-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_model_that_cannot_run_its_largest_batch_fails_at_load_not_under_load()
    {
        var g = new OnnxGraphBuilder("fails_above_batch_one");
        var images = g.Input("images", "batch", 3, 8, 8);

        // Reshaping to a fixed batch of one is the bug: batch 2 has twice the elements and the run fails.
        var flat = g.Node("Reshape", [images, g.Int64s(1, 3, 64)]);
        var twoRows = g.Node("Slice", [flat, g.Int64s(0), g.Int64s(2), g.Int64s(1)]);
        g.NodeNamed("Concat", "output0", [flat, twoRows], OnnxGraphBuilder.IntAttribute("axis", 1));
        g.Output("output0", "batch", 5, 64);
        var path = Path.Combine(_directory, "failing.onnx");
        await File.WriteAllBytesAsync(path, g.Build(13, "test", "fails above batch 1", new Dictionary<string, string>()).ToByteArray());
        var manifest = new ModelManifest
        {
            Name = "failing",
            Version = "1",
            Format = OutputFormat.Yolov8,
            Input = new ModelInput { Width = 8, Height = 8 },
            Classes = ["thing"],
        };
        var cpu = new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Cpu };

        // Warm-up runs every batch size, so the fault shows before the service says ready.
        var failure = await Assert.ThrowsAsync<ModelLoadException>(() => LocalDetector.LoadAsync(manifest, path, cpu, new BatchingOptions { MaxBatchSize = 2 }));
        await using var single = await LocalDetector.LoadAsync(manifest, path, cpu, new BatchingOptions { MaxBatchSize = 1 });
        var served = await single.DetectAsync(TestImages.Png(TestImages.Gradient(32, 32)));

        Assert.StartsWith("The model failed its warm-up run at batch size 2 (Batching:MaxBatchSize is 2): ", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, served.Timings.BatchSize);
    }
}
