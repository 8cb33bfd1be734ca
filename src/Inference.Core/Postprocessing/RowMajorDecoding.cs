namespace Inference.Core.Postprocessing;

/// <summary>Shared scoring for the anchor-major layouts with objectness ([A, 5+C]: box, objectness, class scores).</summary>
internal static class RowMajorDecoding
{
    /// <summary>Score = objectness × best class score; false when it cannot reach the threshold.</summary>
    public static bool TryScore(ReadOnlySpan<float> row, float confidence, out float score, out int classId)
    {
        score = 0;
        classId = 0;
        var objectness = row[4];

        // Class scores are at most 1, so a weak objectness rules the row out without scanning the classes.
        if (objectness < confidence)
        {
            return false;
        }

        var classScores = row[5..];
        var best = classScores[0];
        for (var c = 1; c < classScores.Length; c++)
        {
            if (classScores[c] > best)
            {
                best = classScores[c];
                classId = c;
            }
        }

        score = objectness * best;
        return score >= confidence;
    }
}
