using System.Globalization;
using System.Text;
using System.Text.Json;
using Inference.Core.Telemetry;

namespace Inference.HttpBenchmark;

/// <summary>The service's resident memory around the HTTP runs.</summary>
internal sealed class MemoryFigures
{
    public long Idle { get; set; }

    /// <summary>The peak during the concurrency-16 run of each workload.</summary>
    public Dictionary<string, long> Peaks { get; } = [];

    /// <summary>How long after the load the service was back within 20% of idle; null when not within a minute.</summary>
    public TimeSpan? BackWithin { get; set; }

    public long AfterLoad { get; set; }
}

/// <summary>Writes the side-by-side table as markdown and JSON, with the targets of issues 10 and 11 checked.</summary>
internal static class Report
{
    private const string Web = "640×427";
    private const string Phone = "4032×3024";
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void Write(string directory, string model, IReadOnlyList<Summary> rows, IReadOnlyList<Round> rounds, TimeSpan startup, MemoryFigures memory, int seconds, int runs)
    {
        Directory.CreateDirectory(directory);
        Summary Http(string workload, int concurrency) => rows.Single(r => r.Name == Name(workload, concurrency));
        double PerRound(Func<Round, double> figure) => Statistics.Median(rounds.Select(figure));
        var rawBest = rows.Single(r => r.Name.EndsWith("(best)", StringComparison.Ordinal));
        var rawBatch1 = rows.Single(r => r.Name == "raw ORT, batch 1");
        var service = rows.Single(r => r.Name.Contains("16 callers", StringComparison.Ordinal));
        var chart = Chart.Write(Path.Combine(directory, $"http-{model}.png"), model, Environment.ProcessorCount, rows, rawBatch1, rawBest);
        var httpRows = rows.Where(r => r.Name.StartsWith("HTTP", StringComparison.Ordinal)).ToArray();

        // Each ratio within its round, then the median of the rounds.
        var throughputRatio = PerRound(r => r.Http[Name(Web, 16)].ImagesPerSecond / r.RawBest.ImagesPerSecond);
        var loneP50 = Http(Web, 1).P50Ms ?? double.NaN;
        var loneBudgetMs = PerRound(r => r.LoneBudgetMs);
        var loneMargin = PerRound(r => r.Http[Name(Web, 1)].P50Ms - r.LoneBudgetMs);
        var rawLatencyMs = PerRound(r => 1000 / r.RawLone.ImagesPerSecond);
        var decodeMs = PerRound(r => r.DecodeMs);
        var phoneRatio = PerRound(r => r.Http[Name(Phone, 4)].ImagesPerSecond / r.Http[Name(Web, 4)].ImagesPerSecond);
        var webGrowth = memory.Peaks[Web] - memory.Idle;
        var phoneGrowth = memory.Peaks[Phone] - memory.Idle;
        var errors = httpRows.Sum(r => r.Errors);

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# HTTP benchmark: {model}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, the service's default settings, median of {runs} runs of {seconds} s each; raw ORT and the HTTP loads in the same {runs} rounds, each ratio the median of the rounds' ratios.");
        md.AppendLine(CultureInfo.InvariantCulture, $"Workloads: the fixture photos as {Web} JPEGs (web) and as {Phone} JPEGs (12 MP phone photos), quality 90.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Throughput and p99 against concurrency, beside raw ONNX Runtime]({Path.GetFileName(chart)})");
        md.AppendLine();
        md.AppendLine("| what | images/s | × raw ORT best | p50 ms | p95 ms | p99 ms | errors |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {row.Name} | {row.ImagesPerSecond:0.0} | {row.ImagesPerSecond / rawBest.ImagesPerSecond:0.00} | {Ms(row.P50Ms)} | {Ms(row.P95Ms)} | {Ms(row.P99Ms)} | {row.Errors} |");
        }

        md.AppendLine();
        md.AppendLine("Targets:");
        md.AppendLine(CultureInfo.InvariantCulture, $"- HTTP {Web} at concurrency 16 / raw ORT best = **{throughputRatio:0.00}** (target ≥ 0.85; rounds: {Rounds(rounds, r => r.Http[Name(Web, 16)].ImagesPerSecond / r.RawBest.ImagesPerSecond)}): {Verdict(throughputRatio >= 0.85)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- HTTP {Web} at concurrency 1, p50 = **{loneP50:0.0} ms** against raw ORT batch 1 {rawLatencyMs:0.0} ms + decode {decodeMs:0.0} ms + 1 ms = {loneBudgetMs:0.0} ms; p50 less that budget, round by round: {Rounds(rounds, r => r.Http[Name(Web, 1)].P50Ms - r.LoneBudgetMs, "+0.0;-0.0")} ms: {Verdict(loneMargin <= 0)}");
        if (Http(Web, 1).Stages is { } lone)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"  - where a lone request's time goes (medians, by the service's own timings): decode {lone.DecodeMs:0.0} ms, letterbox {lone.PreprocessMs:0.0}, queue {lone.QueueMs:0.0}, model run {lone.InferenceMs:0.0}, postprocess {lone.PostprocessMs:0.0}; HTTP, body and JSON on both sides {lone.OtherMs:0.0} ms (server total {lone.ServerTotalMs:0.0} of the client's {lone.ClientMs:0.0})");
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"- HTTP {Phone} / {Web} throughput at concurrency 4 = **{phoneRatio:0.00}** (target ≥ 0.5; rounds: {Rounds(rounds, r => r.Http[Name(Phone, 4)].ImagesPerSecond / r.Http[Name(Web, 4)].ImagesPerSecond)}): {Verdict(phoneRatio >= 0.5)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- resident memory idle {ResidentSampler.Mb(memory.Idle)} MB; peak at concurrency 16: {Web} +{ResidentSampler.Mb(webGrowth)} MB (target ≤ +100): {Verdict(webGrowth <= 100L << 20)}, {Phone} +{ResidentSampler.Mb(phoneGrowth)} MB (target ≤ +150): {Verdict(phoneGrowth <= 150L << 20)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- after the load, back within 20% of idle: {(memory.BackWithin is { } back ? $"after {back.TotalSeconds:0} s" : "not within 60 s")} ({ResidentSampler.Mb(memory.AfterLoad)} MB; target ≤ 60 s): {Verdict(memory.BackWithin is not null)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- detection service in-process (16 callers, measured before the rounds) / raw ORT best = {service.ImagesPerSecond / rawBest.ImagesPerSecond:0.00}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- HTTP errors: {errors}: {Verdict(errors == 0)}; start-up to ready: {startup.TotalSeconds:0.00} s");

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
            lonePercentile50Ms = loneP50,
            loneMarginMs = loneMargin,
            rounds = rounds.Select(r => new
            {
                rawBatch1ImagesPerSecond = r.RawLone.ImagesPerSecond,
                rawBestImagesPerSecond = r.RawBest.ImagesPerSecond,
                r.DecodeMs,
                httpImagesPerSecond = r.Http.ToDictionary(h => h.Key, h => h.Value.ImagesPerSecond),
                httpP50Ms = r.Http.ToDictionary(h => h.Key, h => h.Value.P50Ms),
            }),
            loneStages = Http(Web, 1).Stages,
            loneBudgetMs,
            decodeMs,
            phoneToWebAtConcurrency4 = phoneRatio,
            idleResidentMb = memory.Idle / 1048576.0,
            peakResidentGrowthMb = memory.Peaks.ToDictionary(p => p.Key, p => (p.Value - memory.Idle) / 1048576.0),
            backWithinIdlePlus20PercentSeconds = memory.BackWithin?.TotalSeconds,
            httpErrors = errors,
            startupSeconds = startup.TotalSeconds,
        }, JsonOptions));
        Console.WriteLine();
        Console.WriteLine(text);
    }

    /// <summary>Draws the chart of a report written by <see cref="Write"/>, from its JSON, beside it.</summary>
    public static string RedrawChart(string jsonPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(jsonPath));
        var root = document.RootElement;
        var model = root.GetProperty("model").GetString()!;
        var rows = root.GetProperty("rows").Deserialize<Summary[]>(JsonOptions)!;
        var rawBest = rows.Single(r => r.Name.EndsWith("(best)", StringComparison.Ordinal));
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!, $"http-{model}.png");
        return Chart.Write(path, model, root.GetProperty("cores").GetInt32(), rows, rows.Single(r => r.Name == "raw ORT, batch 1"), rawBest);
    }

    private static string Name(string workload, int concurrency) => $"HTTP {workload}, concurrency {concurrency}";

    private static string Rounds(IReadOnlyList<Round> rounds, Func<Round, double> figure, string format = "0.00") =>
        string.Join(", ", rounds.Select(r => figure(r).ToString(format, CultureInfo.InvariantCulture)));

    private static string Ms(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "–";

    private static string Verdict(bool met) => met ? "met" : "**not met**";
}
