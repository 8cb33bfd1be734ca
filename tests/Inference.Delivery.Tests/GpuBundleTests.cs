using System.Security.Cryptography;
using System.Text.Json;
using Inference.Delivery.Tests.Support;
using Inference.Testing;

namespace Inference.Delivery.Tests;

/// <summary>
/// The GPU bundle procedure, rehearsed here on CPU so that it fails here and not on the GPU host: the parts
/// benchmarks/gpu/pack.sh made before the tests (scripts/publish-for-tests.sh), joined, checked and unpacked into a
/// temporary folder by benchmarks/gpu/run.sh, which then runs the bundle's own benchmark against the bundle's own
/// service with the CPU provider, exactly as it will with CUDA.
/// </summary>
public sealed class GpuBundleTests : IDisposable
{
    private const long MaxPartBytes = 56L << 20;
    private static readonly string RunScript = Path.Combine(DeliveryFiles.Root, "benchmarks", "gpu", "run.sh");
    private readonly string _directory = Directory.CreateTempSubdirectory("gpu-bundle-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public void The_parts_are_at_most_56_mib_each_and_match_their_checksums()
    {
        var parts = Parts();

        var sums = File.ReadAllLines(Path.Combine(parts, "SHA256SUMS")).Select(l => l.Split("  ")).ToArray();

        Assert.True(sums.Length >= 2, "A GPU bundle with ORT's CUDA provider cannot fit one part.");
        Assert.Equal(sums.Select(s => s[1]).Order(StringComparer.Ordinal), Directory.GetFiles(parts, "gpu-bundle.tar.xz.part-*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (hash, name) in sums.Select(s => (s[0], s[1])))
        {
            var path = Path.Combine(parts, name);
            Assert.InRange(new FileInfo(path).Length, 1, MaxPartBytes);
            using var stream = File.OpenRead(path);
            Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(stream)));
        }

        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", File.ReadAllText(Path.Combine(parts, "BUNDLE.txt")), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Run_sh_unpacks_the_bundle_and_measures_its_service_on_cpu_end_to_end()
    {
        var parts = Parts();
        var work = Path.Combine(_directory, "work");
        var results = Path.Combine(_directory, "results");

        var (exitCode, output) = await Tool.RunAsync(
            "bash", RunScript, "--parts", parts, "--work", work, "--provider", "cpu", "--out", results,
            "--seconds", "1", "--warmup", "1", "--batches", "1,2", "--concurrency", "1,2", "--uploads", "float32,uint8");

        Assert.True(exitCode == 0, output);
        var report = Directory.GetFiles(results, "gpu-*.md").Single();
        Assert.Matches(@"gpu-\d{4}-\d{2}-\d{2}\.md$", report);
        var json = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(report, ".json"))).RootElement;
        var runs = json.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(["float32/1", "float32/2", "uint8/1", "uint8/2"], runs.Select(r => $"{r.GetProperty("upload").GetString()}/{r.GetProperty("maxBatch").GetInt32()}"));
        Assert.All(runs, r =>
        {
            Assert.Equal("CPUExecutionProvider", r.GetProperty("provider").GetString());
            Assert.Equal(JsonValueKind.Null, r.GetProperty("detectionMismatch").ValueKind);
            Assert.True(r.GetProperty("firstRequestMs").GetDouble() > 0);
            Assert.Equal([1, 2], r.GetProperty("loads").EnumerateArray().Select(l => l.GetProperty("concurrency").GetInt32()));
            Assert.All(r.GetProperty("loads").EnumerateArray(), l =>
            {
                Assert.True(l.GetProperty("imagesPerSecond").GetDouble() > 0);
                Assert.Equal(0, l.GetProperty("errors").GetInt32());
            });
        });
        Assert.Equal([1, 2], json.GetProperty("raw").EnumerateArray().Select(r => r.GetProperty("batch").GetInt32()));
        Assert.True(json.GetProperty("targets").GetProperty("detectionsMatch").GetBoolean());
        var markdown = File.ReadAllText(report);
        Assert.Contains("| end-to-end throughput, best concurrency | ≥ 1500 img/s |", markdown, StringComparison.Ordinal);
        Assert.Contains("| batching gain | ≥ 5× batch-1 throughput |", markdown, StringComparison.Ordinal);
        Assert.Contains("| first request after ready | ≤ 2× the steady p50 |", markdown, StringComparison.Ordinal);
        Assert.Contains("no GPU (nvidia-smi not found)", markdown, StringComparison.Ordinal);

        // What was carried is the GPU build, which also serves on CPU.
        Assert.True(File.Exists(Path.Combine(work, "app", "libonnxruntime_providers_cuda.so")));
        Assert.Contains("\"Microsoft.ML.OnnxRuntime.Gpu.Linux/", File.ReadAllText(Path.Combine(work, "app", "Inference.Api.deps.json")), StringComparison.Ordinal);
        Assert.DoesNotContain("\"Microsoft.ML.OnnxRuntime/", File.ReadAllText(Path.Combine(work, "app", "Inference.Api.deps.json")), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_damaged_part_stops_run_sh_before_anything_is_unpacked()
    {
        var parts = Parts();
        var damaged = Path.Combine(_directory, "damaged");
        Directory.CreateDirectory(damaged);
        var names = Directory.GetFiles(parts).Select(Path.GetFileName).ToArray();
        foreach (var name in names)
        {
            File.CreateSymbolicLink(Path.Combine(damaged, name!), Path.Combine(parts, name!));
        }

        var last = names.Where(n => n!.StartsWith("gpu-bundle.tar.xz.part-", StringComparison.Ordinal)).Max(StringComparer.Ordinal)!;
        File.Delete(Path.Combine(damaged, last));
        var bytes = File.ReadAllBytes(Path.Combine(parts, last));
        File.WriteAllBytes(Path.Combine(damaged, last), bytes[..(bytes.Length / 2)]);
        var work = Path.Combine(_directory, "work");

        var (exitCode, output) = await Tool.RunAsync("bash", RunScript, "--parts", damaged, "--work", work, "--provider", "cpu");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("a part is missing or damaged", output, StringComparison.Ordinal);
        Assert.Contains(last, output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work));
    }

    [SkippableFact]
    public async Task On_cuda_run_sh_names_the_libraries_the_python_environment_lacks_before_unpacking()
    {
        var parts = Parts();
        var site = Path.Combine(_directory, "site-packages");
        Directory.CreateDirectory(Path.Combine(site, "nvidia", "cu13", "lib"));
        await File.WriteAllTextAsync(Path.Combine(site, "nvidia", "cu13", "lib", "libcudart.so.13"), string.Empty);
        var work = Path.Combine(_directory, "work");

        var (exitCode, output) = await Tool.RunAsync("bash", RunScript, "--parts", parts, "--work", work, "--python", FakePython(site));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("not found: libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9", output, StringComparison.Ordinal);
        Assert.Contains($"searched: {Path.Combine(site, "nvidia", "cu13", "lib")}", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(work));
    }

    [SkippableFact]
    public async Task On_cuda_run_sh_puts_the_wheels_libraries_on_the_path_and_a_cuda_that_does_not_load_stops_the_run_with_its_reason()
    {
        var parts = Parts();
        var site = Path.Combine(_directory, "site-packages");
        var lib = Path.Combine(site, "nvidia", "cu13", "lib");
        var cudnn = Path.Combine(site, "nvidia", "cudnn", "lib");
        Directory.CreateDirectory(lib);
        Directory.CreateDirectory(cudnn);
        foreach (var name in new[] { "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10" })
        {
            await File.WriteAllTextAsync(Path.Combine(lib, name), "not a library");
        }

        await File.WriteAllTextAsync(Path.Combine(cudnn, "libcudnn.so.9"), "not a library");

        var (exitCode, output) = await Tool.RunAsync(
            "bash", RunScript, "--parts", parts, "--work", Path.Combine(_directory, "work"), "--python", FakePython(site), "--out", Path.Combine(_directory, "results"), "--batches", "1");

        Assert.Equal(1, exitCode);
        var found = output.Split('\n').Single(l => l.StartsWith("CUDA libraries from: ", StringComparison.Ordinal));
        Assert.Equal(new[] { cudnn, lib }.Order(StringComparer.Ordinal), found["CUDA libraries from: ".Length..].Split(':').Order(StringComparer.Ordinal));
        Assert.Contains("The GPU benchmark stopped: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private static string Parts()
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        return PublishedArtifacts.Require(PublishedArtifacts.GpuBundle);
    }

    /// <summary>A stand-in for the GPU host's Python: it answers the site-packages question with <paramref name="site"/>.</summary>
    private string FakePython(string site)
    {
        var path = Path.Combine(_directory, "python3");
        File.WriteAllText(path, $"#!/bin/sh\necho '{site}'\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
