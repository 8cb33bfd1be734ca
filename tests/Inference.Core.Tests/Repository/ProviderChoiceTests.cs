using Inference.Core.Backends;
using Inference.Core.Hosting;
using Inference.Core.Model;
using Inference.Core.Serving;
using Inference.Testing;
using Microsoft.Extensions.Logging;

namespace Inference.Core.Tests.Repository;

/// <summary>
/// Provider choice on a machine without a GPU, where every GPU provider fails to load exactly as it does on a GPU
/// host without its libraries: the fallbacks, their warnings, the settings handed to TensorRT, and the options
/// that cannot go together.
/// </summary>
public sealed class ProviderChoiceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("providers-").FullName;
    private readonly ModelManifest _manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void On_cpu_the_instances_split_the_cores_unless_told_otherwise()
    {
        var cores = Environment.ProcessorCount;

        Assert.Equal(cores == 1 ? 0 : Math.Max(1, cores / Math.Min(cores, 4)), new BackendOptions().IntraOpThreadsFor(gpu: false));
        Assert.Equal(0, new BackendOptions { Instances = 1 }.IntraOpThreadsFor(gpu: false));
        Assert.Equal(Math.Max(1, cores / 4), new BackendOptions { Instances = 4 }.IntraOpThreadsFor(gpu: false));
        Assert.Equal(3, new BackendOptions { IntraOpThreads = 3 }.IntraOpThreadsFor(gpu: false));
        Assert.Equal(0, new BackendOptions().IntraOpThreadsFor(gpu: true));

        // The lone instance gets every core (ORT's default) whatever the group was given.
        Assert.Equal(0, new BackendOptions { Instances = 4, IntraOpThreads = 3 }.ForLoneInstance().IntraOpThreadsFor(gpu: false));
    }

    [Fact]
    public void A_lone_instance_joins_a_cpu_group_of_several_unless_turned_off()
    {
        Assert.True(new BackendOptions().LoneInstanceFor(OnnxSessionFactory.CpuProvider, 2));
        Assert.False(new BackendOptions().LoneInstanceFor(OnnxSessionFactory.CpuProvider, 1));
        Assert.False(new BackendOptions { LoneInstance = false }.LoneInstanceFor(OnnxSessionFactory.CpuProvider, 2));
        Assert.False(new BackendOptions { LoneInstance = true }.LoneInstanceFor(OnnxSessionFactory.CudaProvider, 2));
        Assert.False(new BackendOptions().LoneInstanceFor(OnnxSessionFactory.TensorRtProvider, 2));
    }

    [Theory]
    [InlineData(Spinning.Off, "0", "0")]
    [InlineData(Spinning.DuringRuns, "1", "1")]
    [InlineData(Spinning.Always, "1", "0")]
    public void Spinning_maps_to_orts_spin_and_stop_entries_and_by_default_spins_only_during_runs(Spinning spinning, string spin, string stop)
    {
        var entries = OnnxSessionFactory.SpinningEntries(spinning).ToDictionary(e => e.Key, e => e.Value);

        Assert.Equal(Spinning.DuringRuns, new BackendOptions().Spinning);
        Assert.Equal((spin, spin, stop), (entries["session.intra_op.allow_spinning"], entries["session.inter_op.allow_spinning"], entries["session.force_spinning_stop"]));
    }

    [Fact]
    public async Task Tensorrt_falls_back_to_cuda_then_to_cpu_with_one_warning_each_for_every_instance()
    {
        var logger = new ListLogger();

        await using var loaded = await LocalDetector.LoadAsync(
            _manifest,
            _manifest.ResolvePath(_manifest.Weights!),
            new BackendOptions { ExecutionProvider = ExecutionProviderPreference.TensorRT, Instances = 3 },
            loggers: new SingleLoggerFactory(logger),
            settings: new ModelBackendSettings(CacheDirectory: _directory));

        Assert.Equal(OnnxSessionFactory.CpuProvider, loaded.Model.Provider);
        Assert.Equal(3, loaded.Model.Instances);
        var warnings = logger.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.StartsWith("TensorRT execution provider unavailable, falling back to CUDA: ", warnings[0], StringComparison.Ordinal);
        Assert.StartsWith("CUDA execution provider unavailable, falling back to CPU: ", warnings[1], StringComparison.Ordinal);
        Assert.Contains(await loaded.RunGoldenChecksAsync(), g => g.Passed);
    }

    [Fact]
    public async Task Cuda_graphs_are_turned_off_with_a_warning_when_the_model_lands_on_cpu()
    {
        var logger = new ListLogger();

        await using var loaded = await LocalDetector.LoadAsync(
            _manifest,
            _manifest.ResolvePath(_manifest.Weights!),
            new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Auto, CudaGraphs = true },
            loggers: new SingleLoggerFactory(logger));

        Assert.Equal(OnnxSessionFactory.CpuProvider, loaded.Model.Provider);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.EndsWith("Inference:CudaGraphs is on, but the model runs on CPUExecutionProvider; CUDA graphs are off", StringComparison.Ordinal));
        Assert.Single(await loaded.RunGoldenChecksAsync(), g => g.Passed);
    }

    [Theory]
    [InlineData(OnnxSessionFactory.CudaProvider)]
    [InlineData(OnnxSessionFactory.TensorRtProvider)]
    [InlineData(OnnxSessionFactory.CpuProvider)]
    public void Instances_default_to_two_per_gpu_and_one_per_core_up_to_four_on_cpu_unless_set(string provider)
    {
        var expected = OnnxSessionFactory.RunsOnGpu(provider) ? 2 : Math.Clamp(Environment.ProcessorCount, 1, 4);

        Assert.Equal(expected, new BackendOptions().InstancesFor(provider));
        Assert.Equal(5, new BackendOptions { Instances = 5 }.InstancesFor(provider));
    }

    [Fact]
    public void Tensorrt_gets_fp16_an_engine_cache_under_the_model_cache_and_the_batch_range()
    {
        var settings = new ModelBackendSettings(Upload: InputUpload.Uint8, CacheDirectory: _directory);
        var target = new TensorRtTarget(settings.EngineCacheDirectory("ab12"), "images", [416, 416, 3], null, 16);

        var options = target.ProviderOptions(deviceId: 1);

        var cache = Path.Combine(_directory, "tensorrt", "ab12-uint8");
        Assert.Equal("1", options["device_id"]);
        Assert.Equal("1", options["trt_fp16_enable"]);
        Assert.Equal(("1", cache), (options["trt_engine_cache_enable"], options["trt_engine_cache_path"]));
        Assert.Equal(cache, options["trt_timing_cache_path"]);
        Assert.True(Directory.Exists(cache));
        Assert.Equal("images:1x416x416x3", options["trt_profile_min_shapes"]);
        Assert.Equal("images:16x416x416x3", options["trt_profile_opt_shapes"]);
        Assert.Equal("images:16x416x416x3", options["trt_profile_max_shapes"]);
        Assert.DoesNotContain("trt_profile_min_shapes", (target with { StaticBatchSize = 1 }).ProviderOptions(0).Keys);
    }

    [Theory]
    [InlineData(ExecutionProviderPreference.Cpu, "Inference:CudaGraphs needs the CUDA provider, but Inference:ExecutionProvider is 'cpu'; turn one of them off.")]
    [InlineData(ExecutionProviderPreference.TensorRT, "Inference:CudaGraphs applies to the CUDA provider only; with Inference:ExecutionProvider 'tensorrt' leave it off (TensorRT plans its own kernels).")]
    public void Cuda_graphs_with_a_provider_that_has_none_fail_validation_with_a_sentence(ExecutionProviderPreference provider, string expected)
    {
        var result = new BackendOptionsValidator().Validate(null, new BackendOptions { ExecutionProvider = provider, CudaGraphs = true });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new BackendOptionsValidator().Validate(null, new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Cuda, CudaGraphs = true }).Succeeded);
    }
}
