using System.Diagnostics;
using System.Globalization;
using Inference.HttpBenchmark;
using Inference.HttpBenchmark.Gpu;
using Inference.Testing;

// "gpu": the GPU bundle's measurement (benchmarks/gpu/run.sh), from an unpacked bundle with no checkout around it.
if (args.FirstOrDefault() == "gpu")
{
    return await GpuBenchmark.RunAsync(args[1..]);
}

// One run, side by side: raw ONNX Runtime (batch 1 and the best batch), the in-process pipeline, and the HTTP service
// under 1, 4 and 16 concurrent clients, with 640×480 JPEGs. Every figure is the median of several timed runs.
var seconds = Argument("--seconds", 5);
var runs = Argument("--runs", 3);
var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine(RepositoryPaths.Root, "benchmarks", "results");
var duration = TimeSpan.FromSeconds(seconds);
var work = Directory.CreateTempSubdirectory("http-benchmark-").FullName;
var subject = BenchmarkSubject.Create(work);
Console.WriteLine($"Model {subject.Name}, {runs} runs of {seconds} s per figure, {Environment.ProcessorCount} cores.");

var rows = new List<Summary>();
var raw = new Dictionary<int, Summary>();
foreach (var batch in new[] { 1, 2, 4, 8 })
{
    raw[batch] = Measure($"raw ORT, batch {batch}", false, () => Task.FromResult(RawOrtThroughput.Measure(subject, batch, duration)));
}

var best = raw.Values.MaxBy(s => s.ImagesPerSecond)!;
rows.Add(raw[1]);
rows.Add(best with { Name = $"{best.Name} (best)" });
rows.Add(Measure("detection service in-process, 1 caller", true, () => InProcessThroughput.ServiceAsync(subject, 1, duration)));
rows.Add(Measure("detection service in-process, 16 callers", true, () => InProcessThroughput.ServiceAsync(subject, 16, duration)));

var startClock = Stopwatch.StartNew();
await using (var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["Model__Manifest"] = subject.ManifestPath }))
{
    await api.WaitUntilReadyAsync();
    var startup = startClock.Elapsed;
    var rss = new List<long>();
    foreach (var concurrency in new[] { 1, 4, 16 })
    {
        await HttpLoad.RunAsync(api.Client.BaseAddress!, subject.Jpegs, concurrency, TimeSpan.FromSeconds(2));
        using var sampling = new CancellationTokenSource();
        var sampler = concurrency == 16 ? SampleRssAsync(api.Id, rss, sampling.Token) : Task.CompletedTask;
        rows.Add(Measure($"HTTP end-to-end, concurrency {concurrency}", true, () => HttpLoad.RunAsync(api.Client.BaseAddress!, subject.Jpegs, concurrency, duration)));
        await sampling.CancelAsync();
        await sampler;
    }

    await api.TerminateAsync();
    await api.WaitForExitAsync(TimeSpan.FromSeconds(60));
    Report.Write(output, subject.Name, rows, best, startup, rss, seconds, runs);
}

Directory.Delete(work, recursive: true);
return 0;

Summary Measure(string name, bool latencies, Func<Task<RunResult>> run)
{
    var results = new List<RunResult>();
    for (var i = 0; i < runs; i++)
    {
        results.Add(run().GetAwaiter().GetResult());
    }

    var summary = Summary.Of(name, results, latencies);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {summary.ImagesPerSecond:0.0} images/s (runs: {string.Join(", ", results.Select(r => r.ImagesPerSecond.ToString("0.0", CultureInfo.InvariantCulture)))})"));
    return summary;
}

int Argument(string name, int fallback)
{
    var value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
}

static async Task SampleRssAsync(int pid, List<long> samples, CancellationToken token)
{
    while (!token.IsCancellationRequested)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        if (line is not null)
        {
            samples.Add(long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
        }

        try
        {
            await Task.Delay(100, token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
    }
}
