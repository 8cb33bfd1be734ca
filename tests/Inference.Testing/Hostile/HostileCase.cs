using Inference.Core.Imaging;

namespace Inference.Testing.Hostile;

/// <summary>The families of hostile input the decoder must survive (issue 10, item 6).</summary>
public enum HostileClass
{
    /// <summary>Random bit flips in real photos (JPEG, PNG, WebP, GIF, and a few BMP and TIFF).</summary>
    BitFlip,

    /// <summary>Real photos cut off before their image data ends.</summary>
    Truncation,

    /// <summary>Adam7-interlaced PNGs whose IDAT holds less than the image needs (the 70-byte hang).</summary>
    InterlacedShortData,

    /// <summary>Adam7-interlaced PNGs with more compressed data than the image needs.</summary>
    InterlacedLongData,

    /// <summary>zTXt, iTXt and iCCP chunks that inflate to tens or hundreds of MiB.</summary>
    AncillaryChunkBomb,

    /// <summary>Headers declaring sizes far beyond the pixel and side limits.</summary>
    HugeDeclaredSize,

    /// <summary>Progressive JPEGs with hundreds or thousands of scans.</summary>
    ProgressiveScanFlood,

    /// <summary>JPEGs with huge, tiny or broken restart intervals and restart-marker floods.</summary>
    RestartIntervalAbuse,

    /// <summary>JPEGs with thousands of marker segments.</summary>
    JpegMarkerFlood,

    /// <summary>GIFs with thousands of frames.</summary>
    GifFrameFlood,

    /// <summary>WebPs whose RIFF or chunk sizes lie, and animations with thousands of frames.</summary>
    WebPLyingChunk,

    /// <summary>Empty, random and text bodies, under every image content type.</summary>
    NotAnImageBody,
}

/// <summary>What the decoder must answer for a case.</summary>
public enum HostileOutcome
{
    /// <summary>A valid image: the hostile part must be skipped, not refused.</summary>
    Decodes,

    /// <summary>An <see cref="ImageDecodeException"/> with <see cref="HostileCase.Reason"/>.</summary>
    Fails,

    /// <summary>Either a valid image or any typed failure (a bit flip may or may not break a file).</summary>
    Either,
}

/// <summary>One generated input, named so a failure points at the exact case.</summary>
/// <param name="ContentType">The Content-Type an HTTP test should send it with.</param>
public sealed record HostileCase(string Name, HostileClass Class, byte[] Data, string ContentType, HostileOutcome Outcome, ImageFailureReason? Reason = null)
{
    public override string ToString() => $"{Name} ({Data.Length} bytes, {Outcome}{(Reason is { } r ? $" {r}" : string.Empty)})";
}
