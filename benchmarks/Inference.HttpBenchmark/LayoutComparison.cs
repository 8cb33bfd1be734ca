using System.Globalization;
using System.Text;
using Inference.Testing;

namespace Inference.HttpBenchmark;

/// <summary>
/// CPU layouts side by side on the same machine and model: instances (sessions, each with its own runner) × intra-op
/// threads × spinning, with or without the lone instance, each measured as a lone client's p50, sixteen clients' throughput beside raw ORT, and four
/// clients' throughput with 640 px and with 12 MP JPEGs (where decoding competes with the model for the cores). The
/// defaults in BackendOptions come from this table.
/// </summary>
internal static class LayoutComparison
{
    private static readonly (string Name, int Instances, int Threads, string Spinning, bool Lone)[] Layouts =
    [
        ("1 instance × 2 threads, spinning off", 1, 2, "off", false),
        ("1 instance × 2 threads, spinning during runs", 1, 2, "duringruns", false),
        ("1 instance × 2 threads, spinning always", 1, 2, "always", false),
        ("2 instances × 1 thread, spinning off", 2, 1, "off", false),
        ("2 instances × 1 thread, spinning during runs", 2, 1, "duringruns", false),
        ("2 instances × 1 thread and a lone instance × 2 threads, spinning during runs", 2, 1, "duringruns", true),
    ];

    public static async Task RunAsync(BenchmarkSubject subject, string output, TimeSpan duration, int runs)
    {
        var rawBest = new[] { 1, 2, 4, 8 }.Select(b => Median(runs, () => RawOrtThroughput.Measure(subject, b, duration).ImagesPerSecond)).Max();
        var rawLone = 1000 / Median(runs, () => RawOrtThroughput.Measure(subject, 1, duration).ImagesPerSecond);
        var rows = new List<string>();
        foreach (var (name, instances, threads, spinning, withLone) in Layouts)
        {
            await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
            {
                ["Model__Manifest"] = subject.ManifestPath,
                ["Inference__Instances"] = instances.ToString(CultureInfo.InvariantCulture),
                ["Inference__IntraOpThreads"] = threads.ToString(CultureInfo.InvariantCulture),
                ["Inference__Spinning"] = spinning,
                ["Inference__LoneInstance"] = withLone ? "true" : "false",
            });
            await api.WaitUntilReadyAsync();
            var service = api.Client.BaseAddress!;
            await HttpLoad.RunAsync(service, subject.Jpegs, 16, TimeSpan.FromSeconds(2));
            var lone = MedianOf(runs, () => HttpLoad.RunAsync(service, subject.Jpegs, 1, duration), r => r.P50Ms);
            var loaded = MedianOf(runs, () => HttpLoad.RunAsync(service, subject.Jpegs, 16, duration), r => r.ImagesPerSecond);
            var web4 = MedianOf(runs, () => HttpLoad.RunAsync(service, subject.Jpegs, 4, duration), r => r.ImagesPerSecond);
            var phone4 = MedianOf(runs, () => HttpLoad.RunAsync(service, subject.PhoneJpegs, 4, duration), r => r.ImagesPerSecond);
            var line = string.Create(CultureInfo.InvariantCulture, $"| {name} | {lone:0.0} | {loaded:0.0} | {loaded / rawBest:0.00} | {web4:0.0} | {phone4:0.0} | {phone4 / web4:0.00} |");
            Console.WriteLine(line);
            rows.Add(line);
            await api.TerminateAsync();
            await api.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# CPU layouts: {subject.Name}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, HTTP with 640×427 JPEGs and 4032×3024 (12 MP) ones, median of {runs} runs of {duration.TotalSeconds:0} s.");
        md.AppendLine(CultureInfo.InvariantCulture, $"Raw ORT in the same run: batch 1 {rawLone:0.0} ms per image, best throughput {rawBest:0.0} images/s.");
        md.AppendLine();
        md.AppendLine("| layout | concurrency 1, p50 ms | concurrency 16, images/s | × raw ORT best | concurrency 4, images/s | 12 MP at concurrency 4, images/s | 12 MP ÷ 640 px |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        rows.ForEach(r => md.AppendLine(r));
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, $"cpu-layouts-{subject.Name}.md"), md.ToString());
        Console.WriteLine(md);
    }

    private static double Median(int runs, Func<double> measure) =>
        Core.Telemetry.Statistics.Median(Enumerable.Range(0, runs).Select(_ => measure()).ToArray());

    private static double MedianOf(int runs, Func<Task<RunResult>> run, Func<RunResult, double> figure) =>
        Median(runs, () => figure(run().GetAwaiter().GetResult()));
}
