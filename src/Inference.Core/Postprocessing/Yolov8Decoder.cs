using System.Buffers;
using System.Numerics;
using Inference.Core.Model;

namespace Inference.Core.Postprocessing;

/// <summary>
/// Ultralytics YOLOv8/YOLO11 (and Roboflow) layout: [4+C, A] per image, rows cx, cy, w, h in input pixels,
/// then one row of class scores per class. The best class per anchor is found row by row with SIMD, which
/// reads the channel-major tensor sequentially instead of striding through it per anchor.
/// </summary>
public sealed class Yolov8Decoder : IOutputDecoder
{
    public Yolov8Decoder(int classCount, int anchorCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(anchorCount);
        ClassCount = classCount;
        AnchorCount = anchorCount;
    }

    public OutputFormat Format => OutputFormat.Yolov8;

    public int ClassCount { get; }

    public int AnchorCount { get; }

    public int OutputLength => (4 + ClassCount) * AnchorCount;

    public bool NeedsNms => true;

    public void Decode(ReadOnlySpan<float> output, float confidence, ReadOnlySpan<bool> allowedClasses, CandidateBuffer candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var a = AnchorCount;
        var bestScore = ArrayPool<float>.Shared.Rent(a);
        var bestClass = ArrayPool<int>.Shared.Rent(a);
        try
        {
            var scores = bestScore.AsSpan(0, a);
            var classes = bestClass.AsSpan(0, a);
            output.Slice(4 * a, a).CopyTo(scores);
            classes.Clear();
            for (var c = 1; c < ClassCount; c++)
            {
                MaxInto(output.Slice((4 + c) * a, a), c, scores, classes);
            }

            var cx = output[..a];
            var cy = output.Slice(a, a);
            var w = output.Slice(2 * a, a);
            var h = output.Slice(3 * a, a);
            for (var i = 0; i < a; i++)
            {
                var score = scores[i];
                if (score >= confidence && ClassMask.Allows(allowedClasses, classes[i]))
                {
                    var halfW = w[i] * 0.5f;
                    var halfH = h[i] * 0.5f;
                    candidates.Add(new Candidate(new BoundingBox(cx[i] - halfW, cy[i] - halfH, cx[i] + halfW, cy[i] + halfH), score, classes[i]));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(bestScore);
            ArrayPool<int>.Shared.Return(bestClass);
        }
    }

    private static void MaxInto(ReadOnlySpan<float> row, int classId, Span<float> best, Span<int> bestClass)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var id = new Vector<int>(classId);
            var width = Vector<float>.Count;
            for (; i <= row.Length - width; i += width)
            {
                var candidate = new Vector<float>(row[i..]);
                var current = new Vector<float>(best[i..]);
                var greater = Vector.GreaterThan(candidate, current);
                Vector.Max(candidate, current).CopyTo(best[i..]);
                Vector.ConditionalSelect(greater, id, new Vector<int>(bestClass[i..])).CopyTo(bestClass[i..]);
            }
        }

        for (; i < row.Length; i++)
        {
            if (row[i] > best[i])
            {
                best[i] = row[i];
                bestClass[i] = classId;
            }
        }
    }
}
