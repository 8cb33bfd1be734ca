using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Inference.HttpBenchmark;

/// <summary>Writes the side-by-side table as markdown and JSON, with the targets checked.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void Write(string directory, string model, IReadOnlyList<Summary> rows, Summary rawBest, TimeSpan startup, IReadOnlyList<long> rssKb, int seconds, int runs)
    {
        Directory.CreateDirectory(directory);
        var http16 = rows.Single(r => r.Name.EndsWith("concurrency 16", StringComparison.Ordinal));
        var pipeline = rows.Single(r => r.Name.Contains("16 callers", StringComparison.Ordinal));
        var httpRows = rows.Where(r => r.Name.StartsWith("HTTP", StringComparison.Ordinal)).ToArray();
        var throughputRatio = http16.ImagesPerSecond / rawBest.ImagesPerSecond;
        var tailOk = httpRows.All(r => r.P99Ms <= 3 * r.P50Ms);
        var errors = httpRows.Sum(r => r.Errors);
        var rssMb = rssKb.Count == 0 ? 0 : rssKb.Max() / 1024.0;

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# HTTP benchmark: {model}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, 640×480 JPEGs, median of {runs} runs of {seconds} s each.");
        md.AppendLine();
        md.AppendLine("| what | images/s | × raw ORT best | p50 ms | p95 ms | p99 ms | errors |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {row.Name} | {row.ImagesPerSecond:0.0} | {row.ImagesPerSecond / rawBest.ImagesPerSecond:0.00} | {Ms(row.P50Ms)} | {Ms(row.P95Ms)} | {Ms(row.P99Ms)} | {row.Errors} |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- HTTP (concurrency 16) / raw ORT best = **{throughputRatio:0.00}** (target ≥ 0.6): {Verdict(throughputRatio >= 0.6)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- detection service in-process (16 callers) / raw ORT best = **{pipeline.ImagesPerSecond / rawBest.ImagesPerSecond:0.00}**");
        md.AppendLine(CultureInfo.InvariantCulture, $"- p99 ≤ 3 × p50 at every HTTP concurrency: {Verdict(tailOk)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- HTTP errors: {errors}: {Verdict(errors == 0)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- start-up to ready: {startup.TotalSeconds:0.00} s; peak RSS under load (concurrency 16): {rssMb:0} MB");

        var text = md.ToString();
        File.WriteAllText(Path.Combine(directory, $"http-{model}.md"), text);
        File.WriteAllText(Path.Combine(directory, $"http-{model}.json"), JsonSerializer.Serialize(new
        {
            model,
            cores = Environment.ProcessorCount,
            executionProvider = BenchmarkSubject.Provider.ToString().ToLowerInvariant(),
            seconds,
            runs,
            rows,
            rawBest = rawBest.Name,
            httpToRawBest = throughputRatio,
            pipelineToRawBest = pipeline.ImagesPerSecond / rawBest.ImagesPerSecond,
            tailWithinThreeTimesMedian = tailOk,
            httpErrors = errors,
            startupSeconds = startup.TotalSeconds,
            peakRssMb = rssMb,
        }, JsonOptions));
        Console.WriteLine();
        Console.WriteLine(text);
    }

    private static string Ms(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "–";

    private static string Verdict(bool met) => met ? "met" : "**not met**";
}
