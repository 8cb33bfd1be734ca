using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Inference.HttpBenchmark.Gpu;

/// <summary>Writes the GPU run as markdown (the committed figures) and JSON, with the issue's three targets checked.</summary>
internal static class GpuReport
{
    public const double ThroughputTarget = 1500;
    public const double BatchingGainTarget = 5;
    public const double FirstRequestTarget = 2;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void Write(GpuSettings settings, string? gpu, IReadOnlyList<(int Batch, RunResult Result)> raw, IReadOnlyList<ServiceRun> runs)
    {
        var best = runs.MaxBy(r => r.Best.ImagesPerSecond)!;
        var bestConcurrency = best.Loads.MaxBy(l => l.Result.ImagesPerSecond).Concurrency;
        var single = runs.Where(r => r.MaxBatch == 1 && r.Upload == best.Upload && !r.CudaGraphs).Select(r => r.Best.ImagesPerSecond).DefaultIfEmpty().Max();
        double? gain = single > 0 ? best.Best.ImagesPerSecond / single : null;
        var worstFirst = runs.MaxBy(r => r.FirstRequestMs / r.SteadyP50Ms)!;
        var firstRatio = worstFirst.FirstRequestMs / worstFirst.SteadyP50Ms;
        var detectionsOk = runs.All(r => r.DetectionMismatch is null);
        var rawBest = raw.MaxBy(r => r.Result.ImagesPerSecond);

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# GPU benchmark: YOLOX-Nano on {settings.Provider}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC · {gpu ?? "no GPU (nvidia-smi not found)"} · {Environment.ProcessorCount} cores · {RuntimeInformation.OSDescription}");
        md.AppendLine(CultureInfo.InvariantCulture, $"640×480 JPEGs made from the four fixture photos, closed-loop HTTP clients on the same host; each figure is {settings.Seconds} s after {settings.WarmUpSeconds} s of warm-up at that concurrency. Service from the bundle's self-contained GPU publish, Inference:ExecutionProvider={settings.Provider}, default instances.");
        md.AppendLine();
        md.AppendLine("## Targets");
        md.AppendLine();
        md.AppendLine("| target | value | measured | verdict |");
        md.AppendLine("| --- | --- | --- | --- |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| end-to-end throughput, best concurrency | ≥ {ThroughputTarget:0} img/s | {best.Best.ImagesPerSecond:0.0} img/s ({best.Name}, max batch {best.MaxBatch}, concurrency {bestConcurrency}) | {Verdict(best.Best.ImagesPerSecond >= ThroughputTarget)} |");
        md.AppendLine(gain is { } g
            ? string.Create(CultureInfo.InvariantCulture, $"| batching gain | ≥ {BatchingGainTarget:0}× batch-1 throughput | {g:0.00}× ({best.Best.ImagesPerSecond:0.0} / {single:0.0} img/s at max batch 1) | {Verdict(g >= BatchingGainTarget)} |")
            : "| batching gain | ≥ 5× batch-1 throughput | not measured (max batch 1 was not in --batches) | – |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| first request after ready | ≤ {FirstRequestTarget:0}× the steady p50 | worst {firstRatio:0.00}× ({worstFirst.FirstRequestMs:0.0} ms against {worstFirst.SteadyP50Ms:0.0} ms; {worstFirst.Name}, max batch {worstFirst.MaxBatch}) | {Verdict(firstRatio <= FirstRequestTarget)} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| detections on the fixture photos | as the fixtures README | {(detectionsOk ? "every configuration" : string.Join("; ", runs.Where(r => r.DetectionMismatch is not null).Select(r => $"{r.Name}/{r.MaxBatch}: {r.DetectionMismatch}")))} | {Verdict(detectionsOk)} |");
        md.AppendLine();
        md.AppendLine("## The service end to end");
        md.AppendLine();
        md.AppendLine("| upload | max batch | concurrency | img/s | × raw ORT best | p50 ms | p99 ms | errors |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var run in runs)
        {
            foreach (var (concurrency, result) in run.Loads)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {run.Name} | {run.MaxBatch} | {concurrency} | {result.ImagesPerSecond:0.0} | {result.ImagesPerSecond / rawBest.Result.ImagesPerSecond:0.00} | {result.P50Ms:0.0} | {result.P99Ms:0.0} | {result.Errors} |");
            }
        }

        if (!settings.Cuda && settings.GraphBatches.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("CUDA graphs were not measured: they exist on the CUDA provider only.");
        }

        md.AppendLine();
        md.AppendLine("## Each configuration");
        md.AppendLine();
        md.AppendLine("| upload | max batch | provider | start to ready s | first request ms | steady p50 ms (lowest concurrency) | first / p50 | GPU memory MiB (service / device) |");
        md.AppendLine("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var run in runs)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {run.Name} | {run.MaxBatch} | {run.Provider} | {run.StartupSeconds:0.0} | {run.FirstRequestMs:0.0} | {run.SteadyP50Ms:0.0} | {run.FirstRequestMs / run.SteadyP50Ms:0.00} | {Mib(run.GpuProcessMiB)} / {Mib(run.GpuDeviceMiB)} |");
        }

        md.AppendLine();
        md.AppendLine("## Raw ONNX Runtime, same model, same run");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"A bare session ({(settings.Cuda ? "CUDA provider" : "CPU")}, default options), its input already a float tensor in ordinary (pageable) memory; no decode, no letterbox, no HTTP.");
        md.AppendLine();
        md.AppendLine("| batch | img/s |");
        md.AppendLine("| ---: | ---: |");
        foreach (var (batch, result) in raw)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {batch} | {result.ImagesPerSecond:0.0} |");
        }

        var text = md.ToString();
        Directory.CreateDirectory(Path.GetDirectoryName(settings.Report)!);
        File.WriteAllText(settings.Report + ".md", text);
        File.WriteAllText(settings.Report + ".json", JsonSerializer.Serialize(
            new
            {
                gpu,
                settings.Provider,
                cores = Environment.ProcessorCount,
                settings.Seconds,
                settings.WarmUpSeconds,
                raw = raw.Select(r => new { r.Batch, r.Result.ImagesPerSecond }),
                runs = runs.Select(r => new
                {
                    r.Upload,
                    r.CudaGraphs,
                    r.MaxBatch,
                    r.Provider,
                    r.StartupSeconds,
                    r.FirstRequestMs,
                    r.SteadyP50Ms,
                    r.GpuProcessMiB,
                    r.GpuDeviceMiB,
                    r.DetectionMismatch,
                    loads = r.Loads.Select(l => new { l.Concurrency, l.Result.ImagesPerSecond, l.Result.P50Ms, l.Result.P99Ms, l.Result.Errors }),
                }),
                targets = new
                {
                    bestImagesPerSecond = best.Best.ImagesPerSecond,
                    throughputMet = best.Best.ImagesPerSecond >= ThroughputTarget,
                    batchingGain = gain,
                    batchingGainMet = gain >= BatchingGainTarget,
                    firstRequestRatio = firstRatio,
                    firstRequestMet = firstRatio <= FirstRequestTarget,
                    detectionsMatch = detectionsOk,
                },
            },
            JsonOptions));
        Console.WriteLine();
        Console.WriteLine(text);
    }

    private static string Mib(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "n/a";

    private static string Verdict(bool met) => met ? "met" : "**not met**";
}
