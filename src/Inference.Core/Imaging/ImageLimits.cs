using Inference.Core.Hosting;

namespace Inference.Core.Imaging;

/// <summary>Limits checked against the image header before any pixel is decoded (configuration section <c>Limits</c>).</summary>
public sealed record ImageLimits
{
    public const long DefaultMaxPixels = 40_000_000;
    public const int DefaultMaxSide = 16_384;

    public static ImageLimits Default { get; } = new();

    /// <summary>Width × height ceiling (40 MP by default, above a 48 MP phone photo's 8000×6000 it is not).</summary>
    [SettingRange("Limits:MaxPixels", 1, long.MaxValue)]
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Longest side accepted, so that a 1×40M strip is refused too.</summary>
    [SettingRange("Limits:MaxSide", 1, int.MaxValue)]
    public int MaxSide { get; init; } = DefaultMaxSide;

    public string? Validate()
    {
        if (MaxPixels <= 0)
        {
            return $"{nameof(MaxPixels)} must be positive (got {MaxPixels}).";
        }

        return MaxSide <= 0 ? $"{nameof(MaxSide)} must be positive (got {MaxSide})." : null;
    }
}
