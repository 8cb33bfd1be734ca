namespace Inference.Core.Imaging.Formats;

/// <summary>What a structure check learned from the bytes before any decoder ran.</summary>
internal sealed class ImageHeader
{
    public required ImageFormat Format { get; init; }

    /// <summary>Width as stored, before orientation.</summary>
    public required int Width { get; init; }

    /// <summary>Height as stored, before orientation.</summary>
    public required int Height { get; init; }

    public ImageOrientation Orientation { get; init; } = ImageOrientation.TopLeft;

    /// <summary>Memory the codec itself holds for a full-size decode, beyond the pixels it writes for us.</summary>
    public long CodecWorkingBytes { get; init; }

    /// <summary>What the codec is shown; empty means all of the data.</summary>
    public IReadOnlyList<SourceRange> Ranges { get; init; } = [];

    /// <summary>Bytes shown after the ranges (a GIF trailer after the first frame).</summary>
    public ReadOnlyMemory<byte> Suffix { get; init; }

    /// <summary>The codec can decode at 1/8 … 8/8 of the stored size straight from the DCT (JPEG).</summary>
    public bool DctScalable { get; init; }

    /// <summary>Width × height after orientation.</summary>
    public (int Width, int Height) Oriented => Orientation.SwapsAxes() ? (Height, Width) : (Width, Height);
}
