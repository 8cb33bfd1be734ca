using Inference.Core.Model;

namespace Inference.Core.Postprocessing;

/// <summary>YOLOv5 layout: [A, 5+C] per image, cx, cy, w, h in input pixels, objectness, class scores.</summary>
public sealed class Yolov5Decoder(int classCount, int anchorCount) : ObjectnessDecoder(classCount, anchorCount)
{
    public override OutputFormat Format => OutputFormat.Yolov5;

    protected override BoundingBox DecodeBox(ReadOnlySpan<float> row, int anchor)
    {
        var halfW = row[2] * 0.5f;
        var halfH = row[3] * 0.5f;
        return new BoundingBox(row[0] - halfW, row[1] - halfH, row[0] + halfW, row[1] + halfH);
    }
}
