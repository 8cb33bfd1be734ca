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
// service's resident memory idle, at peak and after the load. Every figure is the median of several timed runs, and
// every ratio the median of the ratios within each round (raw ORT and the service measured minutes apart would
// compare two different machines on a VM whose speed drifts).
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
    // A first pass over the batch sizes finds raw ORT's best; the figures compared with the service come later,
    // measured in the same rounds as the service's.
    var scouted = new[] { 1, 2, 4, 8 }.ToDictionary(b => b, b => Measure($"raw ORT, batch {b}", false, () => Task.FromResult(RawOrtThroughput.Measure(subject, b, duration))));
    var bestBatch = scouted.MaxBy(s => s.Value.ImagesPerSecond).Key;
    var rows = new List<Summary>();
    var inProcess = new List<Summary>
    {
        Measure("detection service in-process, 1 caller", true, () => InProcessThroughput.ServiceAsync(subject, 1, duration)),
        Measure("detection service in-process, 16 callers", true, () => InProcessThroughput.ServiceAsync(subject, 16, duration)),
    };

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

    var loads = new[] { ("640×427", subject.Jpegs, new[] { 1, 4, 16 }), ("4032×3024", subject.PhoneJpegs, new[] { 4, 16 }) }
        .SelectMany(w => w.Item3.Select(c => (Name: $"HTTP {w.Item1}, concurrency {c}", Workload: w.Item1, Images: w.Item2, Concurrency: c)))
        .ToArray();
    // Warm-ups: the 640 px loads now, each 12 MP load just before its first measurement, so the 640 px memory peak
    // of the first round is taken before any 12 MP image has passed through the service.
    async Task WarmUpAsync((string Name, string Workload, IReadOnlyList<byte[]> Images, int Concurrency) load) =>
        await HttpLoad.RunAsync(api.Client.BaseAddress!, load.Images, load.Concurrency, TimeSpan.FromSeconds(2));

    foreach (var load in loads.Where(l => l.Images != subject.PhoneJpegs))
    {
        await WarmUpAsync(load);
    }

    // Rounds: raw ORT (batch 1 and its best batch), the decode, and every HTTP load, one after another, so each
    // ratio compares figures taken within a minute of each other on a machine whose speed drifts.
    var rounds = new List<Round>();
    for (var round = 0; round < runs; round++)
    {
        var http = new Dictionary<string, RunResult>();
        var rawLone = RawOrtThroughput.Measure(subject, 1, duration);
        var rawBest = RawOrtThroughput.Measure(subject, bestBatch, duration);
        var decode = DecodeMedian(subject);
        foreach (var load in loads)
        {
            if (round == 0 && load.Images == subject.PhoneJpegs)
            {
                await WarmUpAsync(load);
            }

            await using var sampler = new ResidentSampler(api.Id);
            sampler.Start();
            http[load.Name] = await HttpLoad.RunAsync(api.Client.BaseAddress!, load.Images, load.Concurrency, duration);
            // A workload's peak is its own: the 640 px one counts in the first round only, before any 12 MP load
            // has left its larger buffers behind.
            if (load.Concurrency == 16 && (round == 0 || load.Images == subject.PhoneJpegs))
            {
                memory.Peaks[load.Workload] = Math.Max(memory.Peaks.GetValueOrDefault(load.Workload), sampler.Peak);
            }
        }

        rounds.Add(new Round(rawLone, rawBest, decode, http));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1}: raw ORT batch 1 {rawLone.ImagesPerSecond:0.0}, batch {bestBatch} {rawBest.ImagesPerSecond:0.0} images/s, decode {decode:0.00} ms; {string.Join(", ", http.Select(h => $"{h.Key} {h.Value.ImagesPerSecond:0.0}"))}"));
    }

    rows.Add(Summary.Of("raw ORT, batch 1", [.. rounds.Select(r => r.RawLone)], false));
    rows.Add(Summary.Of($"raw ORT, batch {bestBatch} (best)", [.. rounds.Select(r => r.RawBest)], false));
    rows.AddRange(inProcess);
    rows.AddRange(loads.Select(load => Summary.Of(load.Name, [.. rounds.Select(r => r.Http[load.Name])], true)));

    // After the load: how long until the service is back within 20% of idle, given a minute.
    await using (var after = new ResidentSampler(api.Id))
    {
        (memory.BackWithin, memory.AfterLoad) = await after.WaitForAsync((long)(memory.Idle * 1.2), TimeSpan.FromSeconds(60));
    }

    await api.TerminateAsync();
    await api.WaitForExitAsync(TimeSpan.FromSeconds(60));
    Report.Write(output, subject.Name, rows, rounds, startup, memory, seconds, runs);
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
