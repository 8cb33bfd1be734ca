using System.Net.Http.Json;
using System.Text.Json;
using Inference.Testing;
using Inference.Testing.Gpu;

namespace Inference.Delivery.Tests;

/// <summary>
/// The build stage of Dockerfile.gpu, run as written (no Docker engine here) by scripts/publish-gpu-image-stage.sh
/// before the tests: its own publish command in a copy of the build context. Shows the GPU image ships ONNX
/// Runtime's CUDA provider, not the CPU package, and that the same build still serves on a host without a GPU, on
/// CPU, after one warning per provider it could not load.
/// </summary>
public sealed class GpuBuildTests : IClassFixture<GpuBuildTests.Published>
{
    private readonly Published _published;

    public GpuBuildTests(Published published) => _published = published;

    [SkippableFact]
    public void The_build_stage_publishes_the_cuda_provider_and_not_the_cpu_package()
    {
        var files = Directory.GetFiles(_published.App, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        var deps = File.ReadAllText(Path.Combine(_published.App, "Inference.Api.deps.json"));

        Assert.Contains("libonnxruntime_providers_cuda.so", files);
        Assert.Contains("libonnxruntime_providers_shared.so", files);
        Assert.Contains("libonnxruntime.so", files);
        Assert.Contains("\"Microsoft.ML.OnnxRuntime.Gpu.Linux/", deps, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Microsoft.ML.OnnxRuntime/", deps, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_published.App, "models", "shapes-demo", "manifest.json")), "The embedded default model is not in the image.");
    }

    [WithoutGpuFact]
    public async Task The_gpu_build_falls_back_to_cpu_and_serves_on_a_host_without_a_gpu()
    {
        await using var api = await ApiProcess.StartAsync(
            new Dictionary<string, string> { ["Inference__ExecutionProvider"] = "auto", ["Model__CacheDirectory"] = _published.Cache },
            _published.App);
        await api.WaitUntilReadyAsync();

        var model = await api.Client.GetFromJsonAsync<JsonElement>("/v1/model");

        Assert.Equal("CPUExecutionProvider", model.GetProperty("provider").GetString());
        Assert.Contains(api.Lines, l => l.Contains("falling back to CPU", StringComparison.Ordinal));
    }

    [GpuFact]
    public async Task The_gpu_build_serves_on_cuda_where_a_gpu_is_present()
    {
        await using var api = await ApiProcess.StartAsync(
            new Dictionary<string, string> { ["Inference__ExecutionProvider"] = "cuda", ["Model__CacheDirectory"] = _published.Cache },
            _published.App);
        await api.WaitUntilReadyAsync();

        var model = await api.Client.GetFromJsonAsync<JsonElement>("/v1/model");
        using var golden = await api.Client.GetAsync("/health/golden");

        Assert.Equal("CUDAExecutionProvider", model.GetProperty("provider").GetString());
        Assert.True(golden.IsSuccessStatusCode, await golden.Content.ReadAsStringAsync());
    }

    [WithoutGpuFact]
    public async Task Tensorrt_on_a_host_without_its_libraries_falls_back_to_cuda_then_cpu_with_one_warning_each()
    {
        await using var api = await ApiProcess.StartAsync(
            new Dictionary<string, string> { ["Inference__ExecutionProvider"] = "tensorrt", ["Model__CacheDirectory"] = _published.Cache },
            _published.App);
        await api.WaitUntilReadyAsync();

        var model = await api.Client.GetFromJsonAsync<JsonElement>("/v1/model");

        Assert.Equal("CPUExecutionProvider", model.GetProperty("provider").GetString());
        Assert.Single(api.Lines, l => l.Contains("TensorRT execution provider unavailable, falling back to CUDA", StringComparison.Ordinal));
        Assert.Single(api.Lines, l => l.Contains("CUDA execution provider unavailable, falling back to CPU", StringComparison.Ordinal));

        // Instances follow the provider that loaded: on CPU one per core (up to four) and a lone instance, not a GPU's two.
        var batching = model.GetProperty("batching");
        Assert.Equal(Inference.Core.Backends.BackendOptions.DefaultCpuInstances, batching.GetProperty("instances").GetInt32());
        Assert.Equal(Inference.Core.Backends.BackendOptions.DefaultCpuInstances > 1, batching.GetProperty("lone_instance").GetBoolean());
    }

    /// <summary>The folder scripts/publish-for-tests.sh published the build stage into, and a model cache for the class.</summary>
    public sealed class Published : IDisposable
    {
        private readonly string _cache = Directory.CreateTempSubdirectory("gpu-build-cache-").FullName;

        [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Tests reach it through the fixture xunit injects.")]
        public string App => PublishedArtifacts.Require(PublishedArtifacts.GpuImageApp);

        public string Cache => _cache;

        public void Dispose() => Directory.Delete(_cache, recursive: true);
    }
}
