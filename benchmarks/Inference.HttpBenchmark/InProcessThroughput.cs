using System.Diagnostics;
using Inference.Core.Batching;
using Inference.Core.Model;
using Inference.Core.Pipeline;
using Inference.Core.Telemetry;

namespace Inference.HttpBenchmark;

/// <summary>The service's pipeline without HTTP: the facade on one thread, and the batcher under concurrent callers.</summary>
internal static class InProcessThroughput
{
    public static RunResult Facade(BenchmarkSubject subject, TimeSpan duration)
    {
        using var detector = OnnxDetector.Load(subject.WeightsPath, subject.Manifest, new DetectorOptions { ExecutionProvider = ExecutionProviderPreference.Cpu });
        var pipeline = new DetectionPipeline(detector);
        pipeline.Detect(subject.Jpegs[0]);
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; clock.Elapsed < duration; i++)
        {
            var start = Stopwatch.GetTimestamp();
            pipeline.Detect(subject.Jpegs[i % subject.Jpegs.Count]);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return Result(latencies, 0, clock.Elapsed);
    }

    public static async Task<RunResult> BatcherAsync(BenchmarkSubject subject, int concurrency, TimeSpan duration)
    {
        using var detector = OnnxDetector.Load(subject.WeightsPath, subject.Manifest, new DetectorOptions { ExecutionProvider = ExecutionProviderPreference.Cpu });
        var pipeline = new DetectionPipeline(detector);
        await using var batcher = new DynamicBatcher(pipeline, new BatchingOptions());
        var options = pipeline.DefaultOptions;
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var mine = new List<double>();
            for (var i = worker; clock.Elapsed < duration; i += concurrency)
            {
                var start = Stopwatch.GetTimestamp();
                using var inference = await batcher.InferAsync(subject.Jpegs[i % subject.Jpegs.Count]);
                inference.Postprocess(options);
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
