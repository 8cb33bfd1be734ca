using System.Globalization;
using Inference.Core.Imaging;
using Inference.Core.Telemetry;
using Inference.HttpBenchmark;
using Inference.HttpBenchmark.Gpu;
using Inference.Testing;

// "gpu": the GPU bundle's measurement (benchmarks/gpu/run.sh), from an unpacked bundle with no checkout around it.
if (args.FirstOrDefault() == "gpu")
{
    return await GpuBenchmark.RunAsync(args[1..]);
}

// One run, side by side: raw ONNX Runtime (batch 1 and the best batch), the detection service in-process, and the
// HTTP service under 1, 4 and 16 clients with 640×427 JPEGs and under 4 and 16 clients with 12 MP phone JPEGs; the
// service's resident memory idle, at peak and after the load. Every figure is the median of several timed runs.
//   --mode full (default) | layouts (CPU instance/thread layouts) | hostile (the whole hostile corpus over HTTP)
//   --chart-only REPORT.json redraws the chart of a stored report (beside it) without measuring anything.
if (args.SkipWhile(a => a != "--chart-only").Skip(1).FirstOrDefault() is { } stored)
{
    Console.WriteLine($"Chart written: {Report.RedrawChart(stored)}");
    return 0;
}

var mode = Text("--mode", "full");
var seconds = Argument("--seconds", 5);
var runs = Argument("--runs", 3);
var output = Text("--out", Path.Combine(RepositoryPaths.Root, "benchmarks", "results"));
var duration = TimeSpan.FromSeconds(seconds);
var work = Directory.CreateTempSubdirectory("http-benchmark-").FullName;
var subject = BenchmarkSubject.Create(work);
Console.WriteLine($"Model {subject.Name} on {BenchmarkSubject.Provider}, mode {mode}, {runs} runs of {seconds} s per figure, {Environment.ProcessorCount} cores.");
try
{
    switch (mode)
    {
        case "layouts":
            await LayoutComparison.RunAsync(subject, output, duration, runs);
            break;
        case "hostile":
            await HostileBenchmark.RunAsync(subject, output);
            break;
        default:
            await FullAsync();
            break;
    }
}
finally
{
    Directory.Delete(work, recursive: true);
}

return 0;

async Task FullAsync()
{
    var rows = new List<Summary>();
    var raw = new Dictionary<int, Summary>();
    foreach (var batch in new[] { 1, 2, 4, 8 })
    {
        raw[batch] = Measure($"raw ORT, batch {batch}", false, () => Task.FromResult(RawOrtThroughput.Measure(subject, batch, duration)));
    }

    var best = raw.Values.MaxBy(s => s.ImagesPerSecond)!;
    rows.Add(raw[1]);
    rows.Add(best with { Name = $"{best.Name} (best)" });
    var decodeMs = DecodeMedian(subject);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  decode of a 640×427 JPEG for the model input: {decodeMs:0.00} ms (median)"));
    rows.Add(Measure("detection service in-process, 1 caller", true, () => InProcessThroughput.ServiceAsync(subject, 1, duration)));
    rows.Add(Measure("detection service in-process, 16 callers", true, () => InProcessThroughput.ServiceAsync(subject, 16, duration)));

    var startClock = System.Diagnostics.Stopwatch.StartNew();
    await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["Model__Manifest"] = subject.ManifestPath, ["Inference__ExecutionProvider"] = BenchmarkSubject.Provider.ToString().ToLowerInvariant() });
    await api.WaitUntilReadyAsync();
    var startup = startClock.Elapsed;
    var memory = new MemoryFigures();
    await using (var idle = new ResidentSampler(api.Id))
    {
        await Task.Delay(3000);
        memory.Idle = idle.Current;
    }

    foreach (var (workload, images, concurrencies) in new[] { ("640×427", subject.Jpegs, new[] { 1, 4, 16 }), ("4032×3024", subject.PhoneJpegs, new[] { 4, 16 }) })
    {
        foreach (var concurrency in concurrencies)
        {
            await HttpLoad.RunAsync(api.Client.BaseAddress!, images, concurrency, TimeSpan.FromSeconds(2));
            await using var sampler = new ResidentSampler(api.Id);
            sampler.Start();
            rows.Add(Measure($"HTTP {workload}, concurrency {concurrency}", true, () => HttpLoad.RunAsync(api.Client.BaseAddress!, images, concurrency, duration)));
            if (concurrency == 16)
            {
                memory.Peaks[workload] = sampler.Peak;
            }
        }
    }

    // After the load: how long until the service is back within 20% of idle, given a minute.
    await using (var after = new ResidentSampler(api.Id))
    {
        (memory.BackWithin, memory.AfterLoad) = await after.WaitForAsync((long)(memory.Idle * 1.2), TimeSpan.FromSeconds(60));
    }

    await api.TerminateAsync();
    await api.WaitForExitAsync(TimeSpan.FromSeconds(60));
    Report.Write(output, subject.Name, rows, best, raw[1], decodeMs, startup, memory, seconds, runs);
}

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

// The service's own decoder at the model input, as the request path runs it.
static double DecodeMedian(BenchmarkSubject subject)
{
    var decoder = new ImageDecoder();
    var target = ImageTarget.For(subject.Input);
    var times = new List<double>();
    for (var i = 0; i < 60; i++)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        using (decoder.Decode(subject.Jpegs[i % subject.Jpegs.Count], target, default))
        {
        }

        if (i >= 10)
        {
            times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    return Statistics.Median(times);
}

int Argument(string name, int fallback) => int.Parse(Text(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

string Text(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
