using Inference.Core.Hosting;

namespace Inference.Core.Imaging;

/// <summary>
/// What one decode may cost (configuration section <c>Limits</c>). Sizes and structure are checked against the header
/// before any pixel buffer exists; the time budget is checked while the codec reads and between row chunks.
/// </summary>
public sealed record ImageLimits
{
    public const long DefaultMaxPixels = 40_000_000;
    public const int DefaultMaxSide = 16_384;
    public const int DefaultMaxProgressiveScans = 50;
    public const int DefaultMaxJpegSegments = 1000;
    public const int DefaultMaxAnimationFrames = 1000;

    /// <summary>The largest image a 4-byte-per-pixel buffer can hold in one .NET span.</summary>
    public const long PixelCeiling = int.MaxValue / 4;

    public static ImageLimits Default { get; } = new();

    /// <summary>Width × height ceiling (40 MP by default, above a 48 MP phone photo's 8000×6000 it is not).</summary>
    [SettingRange("Limits:MaxPixels", 1, PixelCeiling)]
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Longest side accepted, so that a 1×40M strip is refused too.</summary>
    [SettingRange("Limits:MaxSide", 1, int.MaxValue)]
    public int MaxSide { get; init; } = DefaultMaxSide;

    /// <summary>
    /// Wall-clock budget of one decode (default 2 s). A decode still running when it passes stops within one row
    /// chunk or one read of the codec and fails as <see cref="ImageFailureReason.TooComplex"/>.
    /// </summary>
    public TimeSpan DecodeTimeout { get; init; } = TimeSpan.FromMilliseconds(2000);

    /// <summary><see cref="DecodeTimeout"/> in milliseconds, as configuration sets it (<c>Limits__DecodeTimeoutMs</c>).</summary>
    [SettingRange("Limits:DecodeTimeoutMs", 1, 600_000)]
    public int DecodeTimeoutMs
    {
        get => (int)DecodeTimeout.TotalMilliseconds;
        init => DecodeTimeout = TimeSpan.FromMilliseconds(value);
    }

    /// <summary>
    /// Scans allowed in a progressive JPEG, counted from the markers before decoding. Encoders write 6 (grey) to
    /// 10 (colour) with libjpeg's standard script and rarely more than 20 when optimising; every scan costs a pass
    /// over all coefficients (about 8.5 ms at 16 MP) however few bytes it holds, and Skia stops libjpeg-turbo at
    /// the 100th scan anyway (measured: 99 scans decode, 100 fail), after paying for 99. 50 is five times any real
    /// encoder and keeps a 16 MP image's scans well inside the time budget.
    /// </summary>
    [SettingRange("Limits:MaxProgressiveScans", 1, 10_000)]
    public int MaxProgressiveScans { get; init; } = DefaultMaxProgressiveScans;

    /// <summary>Marker segments allowed in a JPEG (a camera file has about 20; thousands only burn parser time).</summary>
    [SettingRange("Limits:MaxJpegSegments", 1, 1_000_000)]
    public int MaxJpegSegments { get; init; } = DefaultMaxJpegSegments;

    /// <summary>
    /// Frames allowed in an animated WebP, whose demuxer indexes every frame before the first is decoded. GIFs are
    /// cut after their first frame before the codec sees them, so their frame count costs nothing.
    /// </summary>
    [SettingRange("Limits:MaxAnimationFrames", 1, 1_000_000)]
    public int MaxAnimationFrames { get; init; } = DefaultMaxAnimationFrames;

    /// <summary>
    /// Return what a truncated image decoded (the missing rows black) instead of failing as
    /// <see cref="ImageFailureReason.Corrupt"/>. Off by default: a half-grey photo gives confident wrong answers.
    /// </summary>
    public bool AllowPartialImages { get; init; }

    /// <summary>Whether an image of this size passes the size limits.</summary>
    public bool Allows(int width, int height) => width <= MaxSide && height <= MaxSide && (long)width * height <= MaxPixels;

    /// <summary>Refuses a declared size over the limits; called by each structure check as soon as it reads the size.</summary>
    internal void EnsureWithin(long width, long height)
    {
        if (width > MaxSide || height > MaxSide)
        {
            throw new ImageDecodeException(
                ImageFailureReason.TooLarge,
                $"The image is {width}×{height}; the longest side allowed is {MaxSide} pixels.");
        }

        var pixels = width * height;
        if (pixels > MaxPixels)
        {
            throw new ImageDecodeException(
                ImageFailureReason.TooLarge,
                MaxPixels >= 100_000
                    ? $"The image is {width}×{height} ({pixels / 1e6:0.#} MP); at most {MaxPixels / 1e6:0.#} MP is allowed."
                    : $"The image is {width}×{height} ({pixels} pixels); at most {MaxPixels} pixels are allowed.");
        }
    }
}
