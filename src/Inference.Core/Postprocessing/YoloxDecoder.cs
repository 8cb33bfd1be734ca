using Inference.Core.Model;

namespace Inference.Core.Postprocessing;

/// <summary>
/// YOLOX layout: [A, 5+C] per image of raw grid outputs tx, ty, tw, th, objectness, class scores (already
/// sigmoided), with A the grid cells of every stride, finest first and row-major within a level:
/// cx = (tx + gx)·s, cy = (ty + gy)·s, w = exp(tw)·s, h = exp(th)·s.
/// </summary>
public sealed class YoloxDecoder : ObjectnessDecoder
{
    private readonly float[] _gridX;
    private readonly float[] _gridY;
    private readonly float[] _stride;

    public YoloxDecoder(int classCount, int inputWidth, int inputHeight, IReadOnlyList<int> strides)
        : base(classCount, CountAnchors(inputWidth, inputHeight, strides))
    {
        _gridX = new float[AnchorCount];
        _gridY = new float[AnchorCount];
        _stride = new float[AnchorCount];
        var i = 0;
        foreach (var s in strides)
        {
            for (var gy = 0; gy < inputHeight / s; gy++)
            {
                for (var gx = 0; gx < inputWidth / s; gx++, i++)
                {
                    _gridX[i] = gx;
                    _gridY[i] = gy;
                    _stride[i] = s;
                }
            }
        }
    }

    public override OutputFormat Format => OutputFormat.Yolox;

    public static int CountAnchors(int inputWidth, int inputHeight, IReadOnlyList<int> strides)
    {
        ArgumentNullException.ThrowIfNull(strides);
        var count = 0;
        foreach (var s in strides)
        {
            count += (inputWidth / s) * (inputHeight / s);
        }

        return count;
    }

    protected override BoundingBox DecodeBox(ReadOnlySpan<float> row, int anchor)
    {
        var s = _stride[anchor];
        var cx = (row[0] + _gridX[anchor]) * s;
        var cy = (row[1] + _gridY[anchor]) * s;
        var halfW = MathF.Exp(row[2]) * s * 0.5f;
        var halfH = MathF.Exp(row[3]) * s * 0.5f;
        return new BoundingBox(cx - halfW, cy - halfH, cx + halfW, cy + halfH);
    }
}
