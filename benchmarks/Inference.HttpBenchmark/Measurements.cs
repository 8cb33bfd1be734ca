namespace Inference.HttpBenchmark;

/// <summary>One timed run: images per second and, for request loads, latency percentiles.</summary>
internal sealed record RunResult(double ImagesPerSecond, int Requests, int Errors, double P50Ms, double P95Ms, double P99Ms);

/// <summary>The median over several runs of each figure, so one noisy run on a shared machine does not decide.</summary>
internal sealed record Summary(string Name, double ImagesPerSecond, int Errors, double? P50Ms, double? P95Ms, double? P99Ms, int Runs)
{
    public static Summary Of(string name, IReadOnlyList<RunResult> runs, bool latencies) => new(
        name,
        Median(runs.Select(r => r.ImagesPerSecond)),
        runs.Sum(r => r.Errors),
        latencies ? Median(runs.Select(r => r.P50Ms)) : null,
        latencies ? Median(runs.Select(r => r.P95Ms)) : null,
        latencies ? Median(runs.Select(r => r.P99Ms)) : null,
        runs.Count);

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
