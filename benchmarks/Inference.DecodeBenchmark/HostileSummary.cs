using System.Diagnostics;
using Inference.Core.Imaging;
using Inference.Testing.Hostile;

namespace Inference.DecodeBenchmark;

/// <summary>The whole hostile corpus through the decoder, judged as the tests judge it.</summary>
internal sealed record HostileFigures(int Cases, int Hangs, int Problems, IReadOnlyList<string> FirstProblems, double MaxMilliseconds, string Slowest, long MaxManagedBytes, long MaxResidentGrowth, string Hungriest, TimeSpan Total, IReadOnlyDictionary<string, int> Outcomes);

internal static class HostileSummary
{
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(30);

    public static HostileFigures Measure()
    {
        var decoder = new ImageDecoder();
        var corpus = HostileCorpus.Generate();
        var clock = Stopwatch.StartNew();
        var runs = new List<HostileRun>();
        var problems = new List<string>();
        var hangs = 0;
        foreach (var hostile in corpus)
        {
            if (HostileRunner.Run(decoder, hostile, new ImageTarget(416, 416), Watchdog) is not { } run)
            {
                hangs++;
                problems.Add($"{hostile}: still running after {Watchdog.TotalSeconds} s");
                continue;
            }

            runs.Add(run);
            problems.AddRange(HostileRunner.Problems(run, decoder.Limits));
        }

        var slowest = runs.MaxBy(r => r.Elapsed)!;
        var hungriest = runs.MaxBy(r => r.PeakResidentGrowth)!;
        var outcomes = runs.GroupBy(r => r.Reason?.ToString() ?? "image").ToDictionary(g => g.Key, g => g.Count());
        var figures = new HostileFigures(
            corpus.Count, hangs, problems.Count, [.. problems.Take(10)], slowest.Elapsed.TotalMilliseconds, slowest.Case.Name,
            runs.Max(r => r.ManagedBytes), hungriest.PeakResidentGrowth, hungriest.Case.Name, clock.Elapsed, outcomes);
        Console.WriteLine($"Hostile corpus: {figures.Cases} cases, {figures.Hangs} hangs, {figures.Problems} problems, slowest {figures.MaxMilliseconds:0.0} ms.");
        return figures;
    }
}
