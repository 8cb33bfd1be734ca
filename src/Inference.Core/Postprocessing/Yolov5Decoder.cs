using Inference.Core.Model;

namespace Inference.Core.Postprocessing;

/// <summary>YOLOv5 layout: [A, 5+C] per image, cx, cy, w, h in input pixels, objectness, class scores.</summary>
public sealed class Yolov5Decoder : IOutputDecoder
{
    public Yolov5Decoder(int classCount, int anchorCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(anchorCount);
        ClassCount = classCount;
        AnchorCount = anchorCount;
    }

    public OutputFormat Format => OutputFormat.Yolov5;

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
            if (RowMajorDecoding.TryScore(row, confidence, out var score, out var classId) && ClassMask.Allows(allowedClasses, classId))
            {
                var halfW = row[2] * 0.5f;
                var halfH = row[3] * 0.5f;
                candidates.Add(new Candidate(new BoundingBox(row[0] - halfW, row[1] - halfH, row[0] + halfW, row[1] + halfH), score, classId));
            }
        }
    }
}
