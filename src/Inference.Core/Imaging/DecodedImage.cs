using Inference.Core.Imaging.Codecs;

namespace Inference.Core.Imaging;

/// <summary>
/// An upright image in pooled memory, owned by the caller until disposed: 8-bit RGBA (alpha unpremultiplied and
/// ignored downstream, as PIL's convert("RGB") drops it), rows top-down with no padding. After a DCT-scaled
/// decode it holds fewer pixels than the original; <see cref="SourceWidth"/>×<see cref="SourceHeight"/> stays the
/// original size after EXIF orientation, the space every box is reported in.
/// </summary>
public sealed class DecodedImage : IDisposable
{
    public const int BytesPerPixel = DecodePlan.BytesPerPixel;

    private PixelBuffer? _pixels;

    internal DecodedImage(PixelBuffer pixels, int width, int height, int sourceWidth, int sourceHeight, string format)
    {
        _pixels = pixels;
        Width = width;
        Height = height;
        SourceWidth = sourceWidth;
        SourceHeight = sourceHeight;
        Format = format;
    }

    /// <summary>The container format that was decoded, e.g. "JPEG".</summary>
    public string Format { get; }

    /// <summary>Width of the pixels held.</summary>
    public int Width { get; }

    /// <summary>Height of the pixels held.</summary>
    public int Height { get; }

    /// <summary>Width of the original image after orientation.</summary>
    public int SourceWidth { get; }

    /// <summary>Height of the original image after orientation.</summary>
    public int SourceHeight { get; }

    public int RowBytes => Width * BytesPerPixel;

    /// <summary>All rows, RGBA; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Pixels => (_pixels ?? throw new ObjectDisposedException(nameof(DecodedImage))).Span[..(RowBytes * Height)];

    public ReadOnlySpan<byte> Row(int y) => Pixels.Slice(y * RowBytes, RowBytes);

    /// <summary>The same rows, writable: the annotation renderer draws straight onto the decoded pixels instead of a copy.</summary>
    internal Span<byte> WritablePixels => (_pixels ?? throw new ObjectDisposedException(nameof(DecodedImage))).Span[..(RowBytes * Height)];

    public void Dispose()
    {
        _pixels?.Dispose();
        _pixels = null;
    }
}
