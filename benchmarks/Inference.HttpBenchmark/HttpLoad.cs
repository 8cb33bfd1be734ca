using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Inference.Core.Telemetry;

namespace Inference.HttpBenchmark;

/// <summary>
/// A closed-loop load: <c>concurrency</c> clients each post a JPEG, wait for the answer, and post again. A lone client
/// also reads the stage timings from each answer (parsing JSON would cost a loaded client CPU the service needs).
/// </summary>
internal static class HttpLoad
{
    public static async Task<RunResult> RunAsync(Uri service, IReadOnlyList<byte[]> jpegs, int concurrency, TimeSpan duration)
    {
        var stages = new ConcurrentBag<double[]>();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = service, Timeout = TimeSpan.FromSeconds(60) };
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var latencies = new List<double>();
            var errors = 0;
            for (var i = worker; clock.Elapsed < duration; i += concurrency)
            {
                using var content = new ByteArrayContent(jpegs[i % jpegs.Count]);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.PostAsync("/v1/detect", content);
                    var body = await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                        latencies.Add(elapsed);
                        if (concurrency == 1)
                        {
                            stages.Add(Timings(elapsed, body));
                        }
                    }
                    else
                    {
                        errors++;
                    }
                }
                catch (HttpRequestException)
                {
                    errors++;
                }
            }

            return (latencies, errors);
        })).ToArray();

        var all = new List<double>();
        var failed = 0;
        foreach (var (latencies, errors) in await Task.WhenAll(workers))
        {
            all.AddRange(latencies);
            failed += errors;
        }

        return InProcessThroughput.Result(all, failed, clock.Elapsed) with { Stages = Medians(stages) };
    }

    private static double[] Timings(double clientMs, byte[] body)
    {
        using var answer = JsonDocument.Parse(body);
        var t = answer.RootElement.GetProperty("timings");
        return [clientMs, .. new[] { "total_ms", "decode_ms", "preprocess_ms", "queue_ms", "inference_ms", "postprocess_ms" }.Select(name => t.GetProperty(name).GetDouble())];
    }

    private static StageMedians? Medians(ConcurrentBag<double[]> stages)
    {
        if (stages.IsEmpty)
        {
            return null;
        }

        double Of(int index) => Statistics.Median(stages.Select(s => s[index]));
        return new StageMedians(Of(0), Of(1), Of(2), Of(3), Of(4), Of(5), Of(6));
    }
}
