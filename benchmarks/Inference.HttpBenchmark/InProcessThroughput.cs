using System.Diagnostics;
using Inference.Core.Backends;
using Inference.Core.Serving;
using Inference.Core.Telemetry;

namespace Inference.HttpBenchmark;

/// <summary>The service's request path without HTTP: the detection service under concurrent callers.</summary>
internal static class InProcessThroughput
{
    public static async Task<RunResult> ServiceAsync(BenchmarkSubject subject, int concurrency, TimeSpan duration)
    {
        await using var detector = await LocalDetector.LoadAsync(subject.Manifest, subject.WeightsPath, new BackendOptions { ExecutionProvider = BenchmarkSubject.Provider });
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var mine = new List<double>();
            for (var i = worker; clock.Elapsed < duration; i += concurrency)
            {
                var start = Stopwatch.GetTimestamp();
                await detector.DetectAsync(subject.Jpegs[i % subject.Jpegs.Count]);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            return mine;
        })).ToArray();
        foreach (var result in await Task.WhenAll(workers))
        {
            latencies.AddRange(result);
        }

        return Result(latencies, 0, clock.Elapsed);
    }

    public static RunResult Result(List<double> latencies, int errors, TimeSpan elapsed)
    {
        latencies.Sort();
        return new RunResult(
            latencies.Count / elapsed.TotalSeconds,
            latencies.Count + errors,
            errors,
            Statistics.Percentile(latencies, 0.50),
            Statistics.Percentile(latencies, 0.95),
            Statistics.Percentile(latencies, 0.99));
    }
}
