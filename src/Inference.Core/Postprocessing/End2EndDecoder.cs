using Inference.Core.Model;

namespace Inference.Core.Postprocessing;

/// <summary>NMS-fused exports (YOLOv10, YOLO26, end2end ONNX): [K, 6] per image, rows x1, y1, x2, y2, score, class.</summary>
public sealed class End2EndDecoder : IOutputDecoder
{
    private const int RowLength = 6;

    public End2EndDecoder(int classCount, int maxDetections)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDetections);
        ClassCount = classCount;
        MaxDetections = maxDetections;
    }

    public OutputFormat Format => OutputFormat.End2End;

    public int ClassCount { get; }

    public int MaxDetections { get; }

    public int OutputLength => RowLength * MaxDetections;

    public bool NeedsNms => false;

    public void Decode(ReadOnlySpan<float> output, float confidence, ReadOnlySpan<bool> allowedClasses, CandidateBuffer candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        for (var i = 0; i < MaxDetections; i++)
        {
            var row = output.Slice(i * RowLength, RowLength);
            var score = row[4];
            var classId = (int)row[5];

            // Padding rows carry score 0 (or a class of -1); ids outside the class list are never trusted.
            if (score >= confidence && score > 0 && classId >= 0 && classId < ClassCount && ClassMask.Allows(allowedClasses, classId))
            {
                candidates.Add(new Candidate(new BoundingBox(row[0], row[1], row[2], row[3]), score, classId));
            }
        }
    }
}
