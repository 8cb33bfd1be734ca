using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Inference.Core.Telemetry;
using Inference.Testing;
using Inference.Testing.Hostile;

namespace Inference.HttpBenchmark;

/// <summary>
/// The whole hostile corpus through HTTP into a real service process, one case at a time (benchmarks/hostile.sh):
/// count, hangs, wrong answers, the most CPU and memory one request cost, and the CPU a decode spends after its
/// client has left.
/// </summary>
internal static class HostileBenchmark
{
    private static readonly TimeSpan MaxCpu = TimeSpan.FromSeconds(2);
    private const long MaxResidentGrowth = 256L << 20;

    public static async Task RunAsync(BenchmarkSubject subject, string output)
    {
        var cases = HostileCorpus.Generate();
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string> { ["Model__Manifest"] = subject.ManifestPath });
        await api.WaitUntilReadyAsync();
        var done = 0;
        var runs = await HostileHttpRunner.RunAsync(api.Client, api.Id, cases, progress: new Progress<HostileHttpRun>(_ =>
        {
            if (Interlocked.Increment(ref done) % 100 == 0)
            {
                Console.WriteLine($"  {done} of {cases.Count}");
            }
        }));
        var problems = runs.SelectMany(r => HostileHttpRunner.Problems(r, MaxCpu, MaxResidentGrowth)).ToArray();
        var afterLeaving = await CpuAfterClientLeavesAsync(api);
        var rssAfter = ProcessStats.ResidentBytes(api.Id);

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Hostile corpus over HTTP: {subject.Name}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, the service's default settings, one request at a time; CPU and memory read from the service's /proc.");
        md.AppendLine();
        md.AppendLine("| class | cases | 200 | problems | slowest ms | most CPU ms | largest resident growth MiB |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var group in runs.GroupBy(r => r.Case.Class).OrderBy(g => g.Key))
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {group.Key} | {group.Count()} | {group.Count(r => r.Status == 200)} | {group.Count(r => r.Status is not (200 or null))} | {group.Max(r => r.Elapsed).TotalMilliseconds:0} | {group.Max(r => r.Cpu).TotalMilliseconds:0} | {group.Max(r => r.PeakResidentGrowth) >> 20} |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- cases: {runs.Count}; hangs (no answer within {HostileHttpRunner.HangAfter.TotalSeconds:0} s): **{runs.Count(r => r.Hung)}**; wrong or uncoded answers, or over budget: **{problems.Length}**");
        md.AppendLine(CultureInfo.InvariantCulture, $"- most CPU one request cost: **{runs.Max(r => r.Cpu).TotalMilliseconds:0} ms** (target ≤ 2000); largest resident growth: **{runs.Max(r => r.PeakResidentGrowth) >> 20} MiB** (target ≤ 256)");
        md.AppendLine(CultureInfo.InvariantCulture, $"- CPU spent after the client left (a costly progressive JPEG, client gone after 30 ms; median of {afterLeaving.Count}): **{Statistics.Median(afterLeaving):0} ms**, worst {afterLeaving.Max():0} ms (target ≤ 100)");
        md.AppendLine(CultureInfo.InvariantCulture, $"- the service's resident size after the corpus: {ResidentSampler.Mb(rssAfter)} MB");
        foreach (var problem in problems.Take(20))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"  - {problem}");
        }

        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "hostile-http.md"), md.ToString());
        Console.WriteLine(md);
        await api.TerminateAsync();
        await api.WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Posts a valid but costly progressive JPEG, hangs up after 30 ms, and measures the service's CPU over the next
    /// second beyond what an idle second costs: what the abandoned decode still spent.
    /// </summary>
    private static async Task<List<double>> CpuAfterClientLeavesAsync(ApiProcess api)
    {
        var jpeg = ProgressiveJpegWriter.Write(3000, 3000, 3, (x, y, c) => (byte)((x * 7) + (y * 3) + (c * 50)), 40);
        var idle = await CpuOverAsync(api.Id, TimeSpan.FromSeconds(1));
        var spent = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            using var content = new ByteArrayContent(jpeg);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            using var leave = new CancellationTokenSource(TimeSpan.FromMilliseconds(30));
            try
            {
                using var _ = await api.Client.PostAsync("/v1/detect", content, leave.Token);
            }
            catch (OperationCanceledException)
            {
                // Gone, as intended.
            }

            spent.Add(Math.Max(0, (await CpuOverAsync(api.Id, TimeSpan.FromSeconds(1))).TotalMilliseconds - idle.TotalMilliseconds));
        }

        return spent;
    }

    private static async Task<TimeSpan> CpuOverAsync(int pid, TimeSpan window)
    {
        var before = ProcessStats.Cpu(pid);
        await Task.Delay(window);
        return ProcessStats.Cpu(pid) - before;
    }
}
