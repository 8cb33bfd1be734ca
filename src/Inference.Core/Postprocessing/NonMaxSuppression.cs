using System.Buffers;

namespace Inference.Core.Postprocessing;

/// <summary>
/// Greedy NMS. Candidates are sorted once by score; each is then compared only with the boxes already kept
/// (at most <c>maxDetections</c>), never with every other raw candidate.
/// </summary>
public static class NonMaxSuppression
{
    /// <summary>Sorts by score (highest first) and keeps the top <paramref name="maxCandidates"/>; returns the kept count.</summary>
    public static int SortByScore(Span<Candidate> candidates, int maxCandidates)
    {
        if (candidates.Length > 1)
        {
            var keys = ArrayPool<float>.Shared.Rent(candidates.Length);
            try
            {
                var keySpan = keys.AsSpan(0, candidates.Length);
                for (var i = 0; i < candidates.Length; i++)
                {
                    keySpan[i] = -candidates[i].Score;
                }

                keySpan.Sort(candidates);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(keys);
            }
        }

        return Math.Min(candidates.Length, maxCandidates);
    }

    /// <summary>
    /// Suppresses overlaps in score-sorted <paramref name="sorted"/>, compacting survivors to its front.
    /// Returns how many survived (at most <paramref name="maxDetections"/>).
    /// </summary>
    public static int Apply(Span<Candidate> sorted, float iouThreshold, bool agnostic, int maxDetections)
    {
        var kept = 0;
        for (var i = 0; i < sorted.Length && kept < maxDetections; i++)
        {
            var candidate = sorted[i];
            if (!OverlapsKept(sorted[..kept], candidate, iouThreshold, agnostic))
            {
                sorted[kept++] = candidate;
            }
        }

        return kept;
    }

    private static bool OverlapsKept(ReadOnlySpan<Candidate> kept, in Candidate candidate, float iouThreshold, bool agnostic)
    {
        foreach (ref readonly var k in kept)
        {
            if ((agnostic || k.ClassId == candidate.ClassId) && k.Box.IntersectionOverUnion(candidate.Box) > iouThreshold)
            {
                return true;
            }
        }

        return false;
    }
}
