using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Inference.Delivery.Tests.Support;
using Inference.Testing;
using Inference.Testing.Gpu;

namespace Inference.Delivery.Tests;

/// <summary>
/// The build stage of Dockerfile.gpu, run as written (no Docker engine here): its own publish command in a copy of
/// the build context. Shows the GPU image ships ONNX Runtime's CUDA provider, not the CPU package, and that the same
/// build still serves on a host without a GPU.
/// </summary>
public sealed partial class GpuBuildTests : IClassFixture<GpuBuildTests.Published>
{
    private readonly Published _published;

    public GpuBuildTests(Published published) => _published = published;

    [Fact]
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

    /// <summary>The build context (the repository less what .dockerignore drops), published once for the class.</summary>
    public sealed class Published : IDisposable
    {
        private static readonly string[] Ignored = ["bin", "obj", "TestResults", "node_modules", "BenchmarkDotNet.Artifacts", ".git"];

        private readonly string _directory = Directory.CreateTempSubdirectory("gpu-build-").FullName;

        public Published()
        {
            var context = Path.Combine(_directory, "src");
            CopyContext(DeliveryFiles.Root, context);
            App = Path.Combine(_directory, "app");
            Cache = Path.Combine(_directory, "cache");

            var command = PublishCommand().Match(File.ReadAllText(DeliveryFiles.GpuDockerfile));
            Assert.True(command.Success, "Dockerfile.gpu has no 'RUN dotnet publish … -o /app' step.");
            var arguments = command.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("-o").Append(App).ToArray();
            var (exitCode, output) = Tool.RunInAsync(context, "dotnet", arguments).GetAwaiter().GetResult();
            Assert.True(exitCode == 0, output);
        }

        public string App { get; }

        public string Cache { get; }

        public void Dispose() => Directory.Delete(_directory, recursive: true);

        private static void CopyContext(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in Directory.GetFiles(from))
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }

            foreach (var directory in Directory.GetDirectories(from).Where(d => !Ignored.Contains(Path.GetFileName(d))))
            {
                CopyContext(directory, Path.Combine(to, Path.GetFileName(directory)));
            }
        }
    }

    // The publish step's arguments after 'dotnet', less the image's '-o /app'.
    [GeneratedRegex(@"^RUN dotnet (publish .+?) -o /app\s*$", RegexOptions.Multiline)]
    private static partial Regex PublishCommand();
}
