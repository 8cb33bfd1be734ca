using System.Diagnostics;

namespace Inference.DecodeBenchmark;

/// <summary>
/// Times several actions side by side: each round runs every action once, in turn, so a noisy neighbour on a
/// shared machine slows all of them alike; the figure is the median of the rounds.
/// </summary>
internal static class Medians
{
    public static double[] Interleaved(int rounds, params Action[] actions)
    {
        var samples = actions.Select(_ => new List<double>(rounds)).ToArray();
        for (var warmUp = 0; warmUp < 2; warmUp++)
        {
            foreach (var action in actions)
            {
                action();
            }
        }

        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < actions.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                actions[i]();
                samples[i].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        return [.. samples.Select(Median)];
    }

    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
