using static Inference.Core.Telemetry.Statistics;

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
}
