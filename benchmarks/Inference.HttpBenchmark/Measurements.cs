using static Inference.Core.Telemetry.Statistics;

namespace Inference.HttpBenchmark;

/// <summary>One timed run: images per second and, for request loads, latency percentiles.</summary>
internal sealed record RunResult(double ImagesPerSecond, int Requests, int Errors, double P50Ms, double P95Ms, double P99Ms)
{
    /// <summary>Where a request's time went by the service's own account, for runs that collect it.</summary>
    public StageMedians? Stages { get; init; }
}

/// <summary>
/// Medians of the <c>timings</c> the service reports in each answer, beside the client's latency: what the service
/// spends in each stage, and what HTTP and the request flow around the stages cost (<see cref="OtherMs"/>).
/// </summary>
internal sealed record StageMedians(double ClientMs, double ServerTotalMs, double DecodeMs, double PreprocessMs, double QueueMs, double InferenceMs, double PostprocessMs)
{
    /// <summary>Client latency less the stages: reading the body, routing, JSON and the two sides of the socket.</summary>
    public double OtherMs => ClientMs - DecodeMs - PreprocessMs - QueueMs - InferenceMs - PostprocessMs;

    public static StageMedians? Of(IEnumerable<StageMedians?> runs)
    {
        var all = runs.OfType<StageMedians>().ToArray();
        return all.Length == 0
            ? null
            : new StageMedians(
                Median(all.Select(r => r.ClientMs)),
                Median(all.Select(r => r.ServerTotalMs)),
                Median(all.Select(r => r.DecodeMs)),
                Median(all.Select(r => r.PreprocessMs)),
                Median(all.Select(r => r.QueueMs)),
                Median(all.Select(r => r.InferenceMs)),
                Median(all.Select(r => r.PostprocessMs)));
    }
}

/// <summary>The median over several runs of each figure, so one noisy run on a shared machine does not decide.</summary>
internal sealed record Summary(string Name, double ImagesPerSecond, int Errors, double? P50Ms, double? P95Ms, double? P99Ms, int Runs)
{
    public StageMedians? Stages { get; init; }

    public static Summary Of(string name, IReadOnlyList<RunResult> runs, bool latencies) => new(
        name,
        Median(runs.Select(r => r.ImagesPerSecond)),
        runs.Sum(r => r.Errors),
        latencies ? Median(runs.Select(r => r.P50Ms)) : null,
        latencies ? Median(runs.Select(r => r.P95Ms)) : null,
        latencies ? Median(runs.Select(r => r.P99Ms)) : null,
        runs.Count)
    {
        Stages = StageMedians.Of(runs.Select(r => r.Stages)),
    };
}

/// <summary>One round of the full benchmark: raw ORT, the decode and every HTTP load, measured back to back.</summary>
internal sealed record Round(RunResult RawLone, RunResult RawBest, double DecodeMs, IReadOnlyDictionary<string, RunResult> Http)
{
    /// <summary>Raw ORT's batch-1 latency plus the decode plus the 1 ms issue 11 allows a lone request.</summary>
    public double LoneBudgetMs => (1000 / RawLone.ImagesPerSecond) + DecodeMs + 1;
}
