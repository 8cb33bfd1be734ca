using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf;
using Inference.Core.Batching;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Pipeline;
using Inference.Testing;
using Inference.DemoModel;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Core.Tests.Batching;

public sealed class DynamicBatcherTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static ReadOnlyMemory<byte>[] Images(int count) =>
        Enumerable.Range(0, count).Select(i => (ReadOnlyMemory<byte>)SceneGenerator.Random(i + 40, 400 + (37 * i), 300 + (23 * i), 4).RenderPng()).ToArray();

    [Fact]
    public async Task Concurrent_requests_share_batches_and_get_their_own_batch_of_one_results()
    {
        var observer = new RecordingObserver();
        await using var batcher = new DynamicBatcher(demo.Pipeline, new BatchingOptions { MaxBatchSize = 4, MaxDelayMs = 200 }, observer);
        var images = Images(8);

        var results = await Task.WhenAll(images.Select(image => Task.Run(async () =>
        {
            using var inference = await batcher.InferAsync(image);
            return (inference.BatchSize, Detections: inference.Postprocess(demo.Pipeline.DefaultOptions));
        })));

        Assert.Contains(observer.BatchSizes, size => size > 1);
        Assert.Equal(8, observer.BatchSizes.Sum());
        for (var i = 0; i < images.Length; i++)
        {
            var alone = demo.Pipeline.Detect(images[i]).Detections;
            Assert.NotEmpty(alone);
            Assert.Equal(alone, results[i].Detections);
        }
    }

    [Fact]
    public async Task A_full_batch_runs_without_waiting_for_the_delay()
    {
        await using var batcher = new DynamicBatcher(demo.Pipeline, new BatchingOptions { MaxBatchSize = 2, MaxDelayMs = 10_000 });
        var images = Images(2);
        var clock = Stopwatch.StartNew();

        var results = await Task.WhenAll(images.Select(image => Task.Run(() => batcher.InferAsync(image))));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"A full batch took {clock.Elapsed}.");
        Assert.All(results, r => Assert.Equal(2, r.BatchSize));
        Array.ForEach(results, r => r.Dispose());
    }

    [Fact]
    public async Task A_lone_image_waits_for_the_max_delay_before_running()
    {
        await using var batcher = new DynamicBatcher(demo.Pipeline, new BatchingOptions { MaxBatchSize = 8, MaxDelayMs = 300 });

        using var result = await batcher.InferAsync(Images(1)[0]);

        Assert.Equal(1, result.BatchSize);
        Assert.True(result.QueueMs >= 250, $"Queued for only {result.QueueMs:0} ms.");
    }

    [Fact]
    public async Task A_full_queue_refuses_work_and_recovers_when_it_drains()
    {
        await using var batcher = new DynamicBatcher(demo.Pipeline, new BatchingOptions { MaxBatchSize = 8, MaxDelayMs = 10_000, MaxQueue = 2 });
        var images = Images(3);
        using var giveUp = new CancellationTokenSource();
        var waiting = images[..2].Select(image => Task.Run(() => batcher.InferAsync(image, giveUp.Token))).ToArray();
        await WaitUntil(() => batcher.QueuedImages == 2);

        var refused = await Assert.ThrowsAsync<QueueFullException>(() => batcher.InferAsync(images[2]));
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(waiting));

        Assert.Equal(2, refused.Capacity);
        Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1));
        Assert.Equal(0, batcher.QueuedImages);

        // Drained: the same image is admitted now.
        using var later = new CancellationTokenSource();
        var admitted = Task.Run(() => batcher.InferAsync(images[2], later.Token));
        await WaitUntil(() => batcher.QueuedImages == 1);
        await later.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => admitted);
    }

    [Fact]
    public async Task A_request_that_gives_up_is_dropped_from_its_batch()
    {
        var observer = new RecordingObserver();
        // The delay is the window in which the first request must give up; it is generous because other test
        // assemblies (the Lambda publish) load both cores while this runs, and the kept pair waits it out once.
        await using var batcher = new DynamicBatcher(demo.Pipeline, new BatchingOptions { MaxBatchSize = 3, MaxDelayMs = 5_000 }, observer);
        var images = Images(3);
        using var giveUp = new CancellationTokenSource();

        var abandoned = Task.Run(() => batcher.InferAsync(images[0], giveUp.Token));
        await WaitUntil(() => batcher.QueuedImages == 1);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        var kept = await Task.WhenAll(images[1..].Select(image => Task.Run(() => batcher.InferAsync(image))));

        Assert.Equal([2], observer.BatchSizes);
        Assert.All(kept, k => Assert.Equal(2, k.BatchSize));
        for (var i = 0; i < kept.Length; i++)
        {
            Assert.Equal(demo.Pipeline.Detect(images[i + 1]).Detections, kept[i].Postprocess(demo.Pipeline.DefaultOptions));
            kept[i].Dispose();
        }
    }

    [Fact]
    public async Task A_bad_image_fails_alone_and_leaves_the_queue_empty()
    {
        await using var batcher = new DynamicBatcher(demo.Pipeline, new BatchingOptions());

        var failure = await Assert.ThrowsAsync<ImageDecodeException>(() => batcher.InferAsync("not an image"u8.ToArray()));

        Assert.Equal(ImageFailureReason.NotAnImage, failure.Reason);
        Assert.Equal(0, batcher.QueuedImages);
    }

    [Fact]
    public async Task Stopping_runs_the_formed_batches_and_refuses_new_work()
    {
        var batcher = new DynamicBatcher(demo.Pipeline, new BatchingOptions { MaxBatchSize = 8, MaxDelayMs = 10_000 });
        var images = Images(2);
        var pending = Task.Run(() => batcher.InferAsync(images[0]));
        await WaitUntil(() => batcher.QueuedImages == 1);

        var clock = Stopwatch.StartNew();
        await batcher.DisposeAsync();
        using var finished = await pending;

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "Stopping waited for the batch delay.");
        Assert.NotEmpty(finished.Postprocess(demo.Pipeline.DefaultOptions));
        await Assert.ThrowsAsync<BatcherStoppedException>(() => batcher.InferAsync(images[1]));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, "Timed out waiting for the batcher.");
            await Task.Delay(5);
        }
    }

    private sealed class RecordingObserver : IBatchObserver
    {
        private readonly ConcurrentQueue<int> _sizes = new();

        public IReadOnlyList<int> BatchSizes => [.. _sizes];

        public void BatchCompleted(int batchSize, TimeSpan inference) => _sizes.Enqueue(batchSize);

        public void BatchFailed(int batchSize, Exception exception) => throw new InvalidOperationException("No batch should fail here.", exception);
    }
}

/// <summary>A model that runs at batch 1 and fails at any larger batch, to prove the runner survives a failed run.</summary>
public sealed class FailingBatchTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("failing-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_failed_batch_fails_its_own_requests_and_the_runner_serves_the_next()
    {
        var g = new OnnxGraphBuilder("fails_above_batch_one");
        var images = g.Input("images", "batch", 3, 8, 8);

        // Reshaping to a fixed batch of one is the bug: batch 2 has twice the elements and the run fails.
        var flat = g.Node("Reshape", [images, g.Int64s(1, 3, 64)]);
        var twoRows = g.Node("Slice", [flat, g.Int64s(0), g.Int64s(2), g.Int64s(1)]);
        g.NodeNamed("Concat", "output0", [flat, twoRows], OnnxGraphBuilder.IntAttribute("axis", 1));
        g.Output("output0", "batch", 5, 64);
        var path = Path.Combine(_directory, "failing.onnx");
        File.WriteAllBytes(path, g.Build(13, "test", "fails above batch 1", new Dictionary<string, string>()).ToByteArray());
        var manifest = new ModelManifest
        {
            Name = "failing",
            Version = "1",
            Format = OutputFormat.Yolov8,
            Input = new ModelInput { Width = 8, Height = 8 },
            Classes = ["thing"],
        };
        using var detector = OnnxDetector.Load(path, manifest, new DetectorOptions { ExecutionProvider = ExecutionProviderPreference.Cpu });
        var pipeline = new DetectionPipeline(detector);
        await using var batcher = new DynamicBatcher(pipeline, new BatchingOptions { MaxBatchSize = 2, MaxDelayMs = 5_000 });
        var image = TestImages.Png(TestImages.Gradient(32, 32));

        var pair = new[] { Task.Run(() => batcher.InferAsync(image)), Task.Run(() => batcher.InferAsync(image)) };
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Task.WhenAll(pair));
        var lone = Task.Run(() => batcher.InferAsync(image));
        var clock = Stopwatch.StartNew();
        while (batcher.QueuedImages == 0 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(5);
        }

        // Stopping cuts the lone image's wait short: it runs as a batch of one.
        await batcher.DisposeAsync();
        using var served = await lone;

        Assert.IsType<OnnxRuntimeException>(failure);
        Assert.All(pair, t => Assert.True(t.IsFaulted));
        Assert.Equal(1, served.BatchSize);
        Assert.Equal(0, batcher.QueuedImages);
    }
}
