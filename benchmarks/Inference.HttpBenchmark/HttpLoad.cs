using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Inference.HttpBenchmark;

/// <summary>A closed-loop load: <c>concurrency</c> clients each post a JPEG, wait for the answer, and post again.</summary>
internal static class HttpLoad
{
    public static async Task<RunResult> RunAsync(Uri service, IReadOnlyList<byte[]> jpegs, int concurrency, TimeSpan duration)
    {
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
                    await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
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

        return InProcessThroughput.Result(all, failed, clock.Elapsed);
    }
}
