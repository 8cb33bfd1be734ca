using Inference.Core.Backends;
using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Core.Scheduling;
using Inference.Core.Serving;
using Inference.Testing;
using Inference.Testing.Gpu;

namespace Inference.Core.Tests.Gpu;

/// <summary>
/// The CUDA execution provider, on a GPU (CodeBuild's GPU project runs these with buildspec-gpu.yml; elsewhere they
/// skip with the reason): it loads when asked for, and serves the same detections as the CPU provider, one image at a
/// time and in batches.
/// </summary>
public sealed class CudaProviderTests
{
    private static readonly BackendOptions Cuda = new() { ExecutionProvider = ExecutionProviderPreference.Cuda };
    private static readonly BackendOptions Cpu = new() { ExecutionProvider = ExecutionProviderPreference.Cpu };

    // GPU kernels sum in another order than the CPU's: boxes may move by a fraction of a pixel, scores by rounding.
    private const float BoxTolerance = 1f;
    private const float ConfidenceTolerance = 0.01f;

    private static string[] DemoSamples => Directory.GetFiles(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples"), "*.png");

    [GpuFact]
    public async Task Cuda_is_the_provider_when_asked_for_and_the_golden_checks_pass_on_it()
    {
        await using var gpu = await LocalDetector.LoadAsync(RepositoryPaths.DemoManifest, Cuda);

        var golden = await gpu.RunGoldenChecksAsync();

        Assert.Equal(OnnxSessionFactory.CudaProvider, gpu.Model.Provider);
        Assert.All(golden, check => Assert.True(check.Passed, check.Image));
    }

    [GpuFact]
    public async Task Auto_chooses_cuda_where_it_loads()
    {
        await using var auto = await LocalDetector.LoadAsync(RepositoryPaths.DemoManifest, new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Auto });

        Assert.Equal(OnnxSessionFactory.CudaProvider, auto.Model.Provider);
    }

    [GpuFact]
    public async Task Cuda_finds_what_cpu_finds_on_the_demo_scenes_one_at_a_time_and_in_a_batch()
    {
        var images = await Task.WhenAll(DemoSamples.Select(path => File.ReadAllBytesAsync(path)));
        var manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);
        var batching = new BatchingOptions { MaxBatchSize = images.Length };
        await using var gpu = await LocalDetector.LoadAsync(manifest, manifest.ResolvePath(manifest.Weights!), Cuda, batching);
        await using var cpu = await LocalDetector.LoadAsync(manifest, manifest.ResolvePath(manifest.Weights!), Cpu, batching);

        var batched = await gpu.DetectAsync(images.Select(i => (ReadOnlyMemory<byte>)i).ToArray());
        for (var i = 0; i < images.Length; i++)
        {
            var expected = (await cpu.DetectAsync(images[i])).Detections;
            AssertSame(expected, (await gpu.DetectAsync(images[i])).Detections, DemoSamples[i]);
            AssertSame(expected, batched[i].Detections, DemoSamples[i] + " (batch)");
        }
    }

    [GpuFact]
    public async Task Cuda_finds_what_cpu_finds_with_yolox_nano_on_the_real_photos()
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        await using var gpu = await YoloxFixture.LoadAsync(YoloxFixture.DynamicModel, Cuda);
        await using var cpu = await YoloxFixture.LoadAsync(YoloxFixture.DynamicModel, Cpu);

        foreach (var photo in new[] { "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg" })
        {
            var image = await File.ReadAllBytesAsync(YoloxFixture.Photo(photo));

            AssertSame((await cpu.DetectAsync(image)).Detections, (await gpu.DetectAsync(image)).Detections, photo);
        }
    }

    [GpuFact]
    public async Task Batch_buffers_on_cuda_are_pinned_and_on_cpu_are_not()
    {
        await using var gpu = await LocalDetector.LoadAsync(RepositoryPaths.DemoManifest, Cuda);
        await using var cpu = await LocalDetector.LoadAsync(RepositoryPaths.DemoManifest, Cpu);

        Assert.True(gpu.Model.PinnedBuffers, "The CUDA model's batch buffers are pageable memory.");
        Assert.False(cpu.Model.PinnedBuffers);
    }

    [GpuFact]
    public async Task Cuda_graphs_find_what_cpu_finds_one_at_a_time_and_in_a_batch()
    {
        // Every batch size the scheduler forms is captured at warm-up and replayed; the replays must still see each
        // run's own input (the copy into the graph's fixed input buffer) and give back each run's own output.
        var images = await Task.WhenAll(DemoSamples.Select(path => File.ReadAllBytesAsync(path)));
        var manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);
        var batching = new BatchingOptions { MaxBatchSize = images.Length };
        await using var graphs = await LocalDetector.LoadAsync(manifest, manifest.ResolvePath(manifest.Weights!), Cuda with { CudaGraphs = true }, batching);
        await using var cpu = await LocalDetector.LoadAsync(manifest, manifest.ResolvePath(manifest.Weights!), Cpu, batching);

        for (var round = 0; round < 2; round++)
        {
            var batched = await graphs.DetectAsync(images.Select(i => (ReadOnlyMemory<byte>)i).ToArray());
            for (var i = 0; i < images.Length; i++)
            {
                var expected = (await cpu.DetectAsync(images[i])).Detections;
                AssertSame(expected, (await graphs.DetectAsync(images[i])).Detections, DemoSamples[i]);
                AssertSame(expected, batched[i].Detections, DemoSamples[i] + " (batch)");
            }
        }
    }

    [GpuFact]
    public async Task The_uint8_upload_on_cuda_finds_what_cpu_finds_with_yolox_nano()
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        await using var gpu = await YoloxFixture.LoadAsync(YoloxFixture.DynamicModel, Cuda, settings: new ModelBackendSettings(Upload: InputUpload.Uint8));
        await using var cpu = await YoloxFixture.LoadAsync(YoloxFixture.DynamicModel, Cpu);

        foreach (var photo in YoloxFixture.ExpectedDetections.Keys)
        {
            var image = await File.ReadAllBytesAsync(YoloxFixture.Photo(photo));

            // Resized pixels are rounded to whole grey levels on the uint8 path (within 1.5 px and 0.01 on CPU, a test
            // shows), on top of the GPU's own summation order: the tolerances add.
            AssertSame((await cpu.DetectAsync(image)).Detections, (await gpu.DetectAsync(image)).Detections, photo, boxTolerance: 2.5f, confidenceTolerance: 0.02f);
        }
    }

    private static void AssertSame(IReadOnlyList<Detection> expected, IReadOnlyList<Detection> actual, string image, float boxTolerance = BoxTolerance, float confidenceTolerance = ConfidenceTolerance)
    {
        Assert.True(expected.Count == actual.Count, $"{image}: CPU found {expected.Count}, CUDA {actual.Count}.");
        var unmatched = actual.ToList();
        foreach (var want in expected)
        {
            var match = unmatched.FirstOrDefault(got => got.ClassId == want.ClassId
                && Math.Abs(got.Confidence - want.Confidence) <= confidenceTolerance
                && Math.Abs(got.Box.X1 - want.Box.X1) <= boxTolerance && Math.Abs(got.Box.Y1 - want.Box.Y1) <= boxTolerance
                && Math.Abs(got.Box.X2 - want.Box.X2) <= boxTolerance && Math.Abs(got.Box.Y2 - want.Box.Y2) <= boxTolerance);
            Assert.True(match is not null, $"{image}: CUDA has nothing like the CPU's {want}.");
            unmatched.Remove(match);
        }
    }
}
