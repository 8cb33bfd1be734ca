using System.Text.Json.Serialization;

namespace Inference.Core.Postprocessing;

/// <summary>An axis-aligned box in pixel-edge coordinates: (0,0) is the top-left corner of the first pixel.</summary>
public readonly record struct BoundingBox(float X1, float Y1, float X2, float Y2)
{
    [JsonIgnore]
    public float Width => X2 - X1;

    [JsonIgnore]
    public float Height => Y2 - Y1;

    [JsonIgnore]
    public float Area => Math.Max(0, X2 - X1) * Math.Max(0, Y2 - Y1);

    public float IntersectionOverUnion(in BoundingBox other)
    {
        var w = Math.Min(X2, other.X2) - Math.Max(X1, other.X1);
        var h = Math.Min(Y2, other.Y2) - Math.Max(Y1, other.Y1);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        var intersection = w * h;
        return intersection / (Area + other.Area - intersection);
    }
}
