using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Inference.Core.Postprocessing;
using Inference.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Inference.HttpBenchmark.Gpu;

/// <summary>One service configuration: its upload, max batch, and what it did.</summary>
internal sealed record ServiceRun(
    string Upload,
    bool CudaGraphs,
    int MaxBatch,
    string Provider,
    double StartupSeconds,
    double FirstRequestMs,
    IReadOnlyList<(int Concurrency, RunResult Result)> Loads,
    long? GpuProcessMiB,
    long? GpuDeviceMiB,
    string? DetectionMismatch)
{
    public string Name => CudaGraphs ? $"{Upload}, CUDA graphs" : Upload;

    public RunResult Best => Loads.MaxBy(l => l.Result.ImagesPerSecond).Result;

    /// <summary>The steady median at the lowest concurrency, which the first request is compared with.</summary>
    public double SteadyP50Ms => Loads.MinBy(l => l.Concurrency).Result.P50Ms;
}

/// <summary>
/// The GPU measurement (<c>gpu</c> subcommand), run by benchmarks/gpu/run.sh from the unpacked bundle: raw ORT on
/// the same model at each batch size, then the service from the bundle's own publish once per upload and max batch,
/// each under every concurrency, with its first request after ready, its GPU memory and a check of its detections
/// against the fixtures README (a wrong copy or a stale binding on the GPU shows up there, not only in the figures).
/// </summary>
internal static class GpuBenchmark
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        GpuSettings settings;
        try
        {
            settings = GpuSettings.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n{GpuSettings.Usage}");
            return 2;
        }

        var work = Directory.CreateTempSubdirectory("gpu-benchmark-").FullName;
        try
        {
            return await RunAsync(settings, work);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or InvalidOperationException or TimeoutException or HttpRequestException)
        {
            // A provider that does not load, a model that fails: one sentence, not a stack trace.
            await Console.Error.WriteLineAsync($"The GPU benchmark stopped: {ex.Message}");
            return 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<int> RunAsync(GpuSettings settings, string work)
    {
        var subject = BenchmarkSubject.Yolox(settings.ModelDirectory, settings.PhotosDirectory, work);
        var gpu = NvidiaSmi.Describe();
        var duration = TimeSpan.FromSeconds(settings.Seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GPU benchmark on {gpu ?? "a host without nvidia-smi"}, provider {settings.Provider}: about {settings.MeasuredSeconds} s of load plus {settings.Configurations} service start-ups."));

        var raw = new List<(int Batch, RunResult Result)>();
        foreach (var batch in settings.Batches)
        {
            var result = RawOrtThroughput.Measure(subject, batch, duration, settings.Cuda);
            raw.Add((batch, result));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  raw ORT, batch {batch}: {result.ImagesPerSecond:0.0} images/s"));
        }

        var runs = new List<ServiceRun>();
        foreach (var upload in settings.Uploads)
        {
            foreach (var maxBatch in settings.Batches)
            {
                runs.Add(await MeasureServiceAsync(settings, subject, work, upload, maxBatch, cudaGraphs: false));
            }
        }

        // CUDA graphs exist on the CUDA provider only (the service refuses them with cpu at boot).
        foreach (var maxBatch in settings.Cuda ? settings.GraphBatches : [])
        {
            runs.Add(await MeasureServiceAsync(settings, subject, work, "float32", maxBatch, cudaGraphs: true));
        }

        GpuReport.Write(settings, gpu, raw, runs);
        var failed = runs.Where(r => r.DetectionMismatch is not null || r.Loads.Any(l => l.Result.Errors > 0)).ToArray();
        foreach (var run in failed)
        {
            await Console.Error.WriteLineAsync($"FAILED: {run.Name}, max batch {run.MaxBatch}: {run.DetectionMismatch ?? "requests failed under load"}");
        }

        return failed.Length == 0 ? 0 : 1;
    }

    private static async Task<ServiceRun> MeasureServiceAsync(GpuSettings settings, BenchmarkSubject subject, string work, string upload, int maxBatch, bool cudaGraphs)
    {
        var environment = new Dictionary<string, string>
        {
            ["Inference__ExecutionProvider"] = settings.Provider,
            ["Model__Manifest"] = subject.ManifestPath,
            ["Model__Upload"] = upload,
            ["Model__CacheDirectory"] = Path.Combine(work, "cache"),
            ["Batching__MaxBatchSize"] = maxBatch.ToString(CultureInfo.InvariantCulture),
            ["Inference__CudaGraphs"] = cudaGraphs ? "true" : "false",

            // Closed-loop clients never hold more than one image each; 429s would measure the queue, not the model.
            ["Batching__MaxQueue"] = Math.Max(1024, 4 * settings.Concurrency.Max()).ToString(CultureInfo.InvariantCulture),
        };
        var clock = Stopwatch.StartNew();
        await using var api = await ApiProcess.StartAsync(environment, settings.App);
        var provider = await WaitUntilLoadedAsync(api);
        var startup = clock.Elapsed.TotalSeconds;

        var first = Stopwatch.StartNew();
        using (var response = await PostAsync(api.Client, subject.Jpegs[0]))
        {
            response.EnsureSuccessStatusCode();
        }

        var firstMs = first.Elapsed.TotalMilliseconds;
        var mismatch = await CheckDetectionsAsync(api.Client, subject);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  service {upload}{(cudaGraphs ? ", CUDA graphs" : string.Empty)}, max batch {maxBatch} on {provider}: ready after {startup:0.0} s, first request {firstMs:0.0} ms, detections {mismatch ?? "as expected"}"));

        var loads = new List<(int, RunResult)>();
        long? processMiB = null, deviceMiB = null;
        foreach (var concurrency in settings.Concurrency)
        {
            await HttpLoad.RunAsync(api.Client.BaseAddress!, subject.Jpegs, concurrency, TimeSpan.FromSeconds(settings.WarmUpSeconds));
            using var sampling = new CancellationTokenSource();
            var memory = NvidiaSmi.PeakAsync(api.Id, sampling.Token);
            var result = await HttpLoad.RunAsync(api.Client.BaseAddress!, subject.Jpegs, concurrency, TimeSpan.FromSeconds(settings.Seconds));
            await sampling.CancelAsync();
            var (p, d) = await memory;
            processMiB = p is null ? processMiB : Math.Max(processMiB ?? 0, p.Value);
            deviceMiB = d is null ? deviceMiB : Math.Max(deviceMiB ?? 0, d.Value);
            loads.Add((concurrency, result));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    concurrency {concurrency}: {result.ImagesPerSecond:0.0} images/s, p50 {result.P50Ms:0.0} ms, p99 {result.P99Ms:0.0} ms, {result.Errors} errors"));
        }

        await api.TerminateAsync();
        await api.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return new ServiceRun(upload, cudaGraphs, maxBatch, provider, startup, firstMs, loads, processMiB, deviceMiB, mismatch);
    }

    /// <summary>Waits for the model and returns the provider it runs on; a model that failed to load stops the run with its reason.</summary>
    private static async Task<string> WaitUntilLoadedAsync(ApiProcess api)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            var model = JsonDocument.Parse(await api.Client.GetStringAsync("/v1/models/default")).RootElement;
            switch (model.GetProperty("state").GetString())
            {
                case "ready":
                    return model.GetProperty("provider").GetString()!;
                case "failed":
                    throw new InvalidOperationException($"The service could not load the model: {model.GetProperty("reason").GetString()}");
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The model was not ready within 10 minutes.");
    }

    /// <summary>Null when every fixture photo gives the README's detections through the service; else what differed.</summary>
    private static async Task<string?> CheckDetectionsAsync(HttpClient client, BenchmarkSubject subject)
    {
        var photos = YoloxFixture.ExpectedDetections.ToArray();
        for (var i = 0; i < photos.Length; i++)
        {
            using var response = await PostAsync(client, subject.Originals[i]);
            response.EnsureSuccessStatusCode();
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            var detections = body.GetProperty("detections").EnumerateArray().Select(d =>
            {
                var box = d.GetProperty("box");
                return new Detection(
                    d.GetProperty("class_id").GetInt32(),
                    d.GetProperty("class").GetString()!,
                    d.GetProperty("confidence").GetSingle(),
                    new BoundingBox(box.GetProperty("x1").GetSingle(), box.GetProperty("y1").GetSingle(), box.GetProperty("x2").GetSingle(), box.GetProperty("y2").GetSingle()));
            }).ToArray();
            if (YoloxFixture.Mismatch(photos[i].Value, detections) is { } mismatch)
            {
                return $"{photos[i].Key}: {mismatch}";
            }
        }

        return null;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, byte[] image)
    {
        var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return client.PostAsync("/v1/detect", content);
    }
}
