using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Inference.Api.Tests.Support;
using Inference.Cli.Models;
using Inference.Core.Model;
using Inference.DemoModel;
using Inference.Testing;

namespace Inference.Api.Tests;

/// <summary>The service pinned to weights in a real S3 server (radosgw): exact versions, checksums, cache, failures.</summary>
[Collection(Serial.Name)]
public sealed class S3PinTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private static readonly ModelManifest Demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
    private readonly string _directory = Directory.CreateTempSubdirectory("s3-pin-").FullName;

    private string CacheDirectory => Path.Combine(_directory, "cache");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public async Task A_service_pinned_to_v1_serves_v1_although_v2_is_the_latest_and_a_warm_cache_downloads_nothing()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var v1 = await PushAsync(bucket, Demo.ResolvePath(Demo.Weights!));

        // v2: the same detector with a static batch: different bytes under the same key.
        var v2Weights = Path.Combine(_directory, "model.onnx");
        await File.WriteAllBytesAsync(v2Weights, ShapesDetectorGraph.Build(staticBatch: 1).ToByteArray());
        var v2 = await PushAsync(bucket, v2Weights);
        Assert.Equal(v1.Weights.Uri, v2.Weights.Uri);
        Assert.NotEqual(v1.Weights.Sha256, v2.Weights.Sha256);

        await using (var service = await new ServiceHost(Pinned(v1)).StartAsync())
        {
            var model = await (await service.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();
            output.WriteLine($"Time to ready, S3 pin, cold cache: {model.GetProperty("startup_ms").GetDouble():0} ms");
            Assert.Equal(v1.Weights.Sha256, model.GetProperty("sha256").GetString());
            Assert.True(model.GetProperty("batching").GetProperty("dynamic_batch").GetBoolean());
            using var golden = await service.Client.GetAsync("/health/golden");
            Assert.Equal(HttpStatusCode.OK, golden.StatusCode);
            var metrics = await service.MetricsAsync();
            Assert.Equal(v1.Weights.Size, MetricsText.Value(metrics, "inference_model_download_bytes_total{model=\"default\""));
            Assert.True(MetricsText.Value(metrics, "inference_model_load_duration_seconds{model=\"default\"") > 0);
            Assert.True(MetricsText.Value(metrics, "inference_model_download_duration_seconds{model=\"default\"") > 0);
        }

        await using (var again = await new ServiceHost(Pinned(v1)).StartAsync())
        {
            Assert.Equal(0, MetricsText.Value(await again.MetricsAsync(), "inference_model_download_bytes_total{model=\"default\""));
            var warm = await (await again.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();
            output.WriteLine($"Time to ready, S3 pin, warm cache: {warm.GetProperty("startup_ms").GetDouble():0} ms");
        }

        await using (var local = await new ServiceHost().StartAsync())
        {
            var model = await (await local.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();
            output.WriteLine($"Time to ready, local file: {model.GetProperty("startup_ms").GetDouble():0} ms");
        }

        await using var latest = await new ServiceHost(Pinned(v2)).StartAsync();
        var latestModel = await (await latest.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();
        Assert.Equal(v2.Weights.Sha256, latestModel.GetProperty("sha256").GetString());
        Assert.False(latestModel.GetProperty("batching").GetProperty("dynamic_batch").GetBoolean());
    }

    [SkippableFact]
    public async Task A_wrong_sha256_means_never_ready_with_a_mismatch_reason()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var pin = await PushAsync(bucket, Demo.ResolvePath(Demo.Weights!));
        var settings = Pinned(pin);
        settings["Model:Sha256"] = new string('0', 64);
        settings.Remove("Model:ManifestVersionId");

        settings["Model:Manifest"] = ManifestWithoutSha();
        await using var service = new ServiceHost(settings).Start();
        var problem = await WaitForFailureAsync(service);

        Assert.Contains("mismatch", problem.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, MetricsText.Value(await service.MetricsAsync(), "inference_ready"));
    }

    [SkippableTheory]
    [InlineData("missing-key")]
    [InlineData("bogus-version")]
    public async Task A_missing_key_or_version_is_a_clear_not_found(string what)
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var pin = await PushAsync(bucket, Demo.ResolvePath(Demo.Weights!));
        var settings = Pinned(pin);
        if (what == "missing-key")
        {
            settings["Model:Uri"] = $"s3://{bucket}/models/nothing/model.onnx";
        }
        else
        {
            settings["Model:VersionId"] = "no-such-version";
        }

        await using var service = new ServiceHost(settings).Start();
        var problem = await WaitForFailureAsync(service);

        Assert.StartsWith("Not found", problem.Reason, StringComparison.Ordinal);
        Assert.Contains(bucket, problem.Reason, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_s3_server_that_is_down_is_retried_until_the_startup_deadline_then_reported()
    {
        S3TestServer.Require();
        var settings = new Dictionary<string, string?>
        {
            ["Model:Uri"] = "s3://models/detector/model.onnx",
            ["Model:VersionId"] = "v1",
            ["Model:Sha256"] = Demo.Sha256,
            ["Model:CacheDirectory"] = CacheDirectory,
            ["Model:StartupTimeoutSeconds"] = "3",
            ["S3:ServiceUrl"] = $"http://127.0.0.1:{LoopbackPorts.Free()}",
            ["S3:MaxAttempts"] = "20",
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await using var service = new ServiceHost(settings).Start();
        var problem = await WaitForFailureAsync(service);

        Assert.Contains("start-up deadline", problem.Reason, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(20));
    }

    [SkippableFact]
    public async Task Readiness_reports_download_progress_and_a_wrong_secret_as_access_denied()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        // 40 MiB arriving as 1 MiB ranges one at a time: long enough to watch the progress.
        var big = new byte[40 << 20];
        new Random(9).NextBytes(big);
        var weights = await S3TestServer.PutAsync(bucket, "models/big/model.onnx", big);
        var environment = new Dictionary<string, string>
        {
            ["Model__Uri"] = weights.Uri,
            ["Model__VersionId"] = weights.VersionId!,
            ["Model__Sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(big)),
            ["Model__CacheDirectory"] = CacheDirectory,
            ["Model__Manifest"] = ManifestWithoutSha(),
            ["S3__ServiceUrl"] = S3TestServer.ServiceUrl!,
            ["S3__ParallelDownloads"] = "1",
            ["S3__PartSizeBytes"] = "1048576",
            ["S3__ParallelThresholdBytes"] = "1048576",
        };

        var reasons = new List<string>();
        await using (var api = await ApiProcess.StartAsync(environment))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            string state;
            do
            {
                using var response = await api.Client.GetAsync("/health/ready");
                var model = (await response.ReadAs<ReadyAnswer>()).Models[0];
                state = model.State;
                reasons.Add(model.Reason);
                await Task.Delay(20);
            }
            while (state is "loading" && DateTime.UtcNow < deadline);

            // The bytes were not a model: once downloaded and verified, loading them fails, with the reason.
            Assert.Equal("failed", state);
        }

        Assert.Contains(reasons, r => r.StartsWith($"Downloading {weights}", StringComparison.Ordinal) && r.Contains("MiB (", StringComparison.Ordinal));
        Assert.Contains("could not be loaded as an ONNX model", reasons[^1], StringComparison.Ordinal);

        environment["AWS_SECRET_ACCESS_KEY"] = "not-the-secret";
        environment["Model__CacheDirectory"] = Path.Combine(_directory, "other-cache");
        await using var denied = await ApiProcess.StartAsync(environment);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ModelReadinessAnswer refusal;
        do
        {
            using var response = await denied.Client.GetAsync("/health/ready");
            refusal = (await response.ReadAs<ReadyAnswer>()).Models[0];
            await Task.Delay(20);
        }
        while (refusal.State != "failed" && clock.Elapsed < TimeSpan.FromSeconds(30));

        Assert.StartsWith("Access denied", refusal.Reason, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Access denied took {clock.Elapsed} to report: a retry storm?");
    }

    private static async Task<ModelPin> PushAsync(string bucket, string weights)
    {
        using var s3 = S3TestServer.Client();
        return (await new ModelPusher(s3).PushAsync(new PushRequest(weights, RepositoryPaths.DemoManifest, bucket, "models/shapes-demo"))).Pin;
    }

    private Dictionary<string, string?> Pinned(ModelPin pin)
    {
        var settings = pin.Environment.ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => (string?)e.Value);
        settings["Model:CacheDirectory"] = CacheDirectory;
        settings["S3:ServiceUrl"] = S3TestServer.ServiceUrl;
        return settings;
    }

    // The pushed manifest pins the real hash; a local manifest without one lets a wrong pin reach the download.
    private string ManifestWithoutSha()
    {
        var path = Path.Combine(_directory, "manifest.json");
        File.WriteAllText(path, (Demo with { Sha256 = null, Weights = null, Golden = [] }).ToJson());
        return path;
    }

    private static async Task<ModelReadinessAnswer> WaitForFailureAsync(ServiceHost service)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await service.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var problem = (await response.ReadAs<ReadyAnswer>()).Models[0];
            if (problem.State == "failed" || DateTime.UtcNow > deadline)
            {
                Assert.Equal("failed", problem.State);
                return problem;
            }

            await Task.Delay(50);
        }
    }
}
