using Inference.Core.Model;

namespace Inference.Core.Postprocessing;

/// <summary>
/// The anchor-major layouts with objectness, [A, 5+C] per image: four box values, objectness, class scores.
/// Score = objectness × best class score. Subclasses only say how the four box values become a box.
/// </summary>
public abstract class ObjectnessDecoder : IOutputDecoder
{
    protected ObjectnessDecoder(int classCount, int anchorCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(anchorCount);
        ClassCount = classCount;
        AnchorCount = anchorCount;
    }

    public abstract OutputFormat Format { get; }

    public int ClassCount { get; }

    public int AnchorCount { get; }

    public int OutputLength => (5 + ClassCount) * AnchorCount;

    public bool NeedsNms => true;

    public void Decode(ReadOnlySpan<float> output, float confidence, ReadOnlySpan<bool> allowedClasses, CandidateBuffer candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var stride = 5 + ClassCount;
        for (var i = 0; i < AnchorCount; i++)
        {
            var row = output.Slice(i * stride, stride);
            if (TryScore(row, confidence, out var score, out var classId) && ClassMask.Allows(allowedClasses, classId))
            {
                candidates.Add(new Candidate(DecodeBox(row, i), score, classId));
            }
        }
    }

    /// <summary>The box of anchor <paramref name="anchor"/> from the first four values of its row, in input pixels.</summary>
    protected abstract BoundingBox DecodeBox(ReadOnlySpan<float> row, int anchor);

    private static bool TryScore(ReadOnlySpan<float> row, float confidence, out float score, out int classId)
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
