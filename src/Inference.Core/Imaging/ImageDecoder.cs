using System.Runtime.InteropServices;
using Inference.Core.Imaging.Codecs;
using Inference.Core.Imaging.Formats;

namespace Inference.Core.Imaging;

/// <summary>
/// Turns untrusted bytes into an upright RGBA image within <see cref="ImageLimits"/>. The signature picks a
/// structure check that reads the header and markers in C# before any codec runs: size limits, scan and
/// segment caps, and which bytes the codec is shown (never metadata, never frames after the first). Then Skia
/// decodes the web formats and ImageSharp decodes TIFF, under a time budget and the caller's token, at the
/// smallest JPEG DCT scale that still covers the <see cref="ImageTarget"/>. Every failure is an
/// <see cref="ImageDecodeException"/>; the only other exception is <see cref="OperationCanceledException"/>
/// when the caller's token fired.
/// </summary>
public sealed class ImageDecoder
{
    private readonly TimeProvider _time;
    private readonly ImageSharpTiffCodec _tiff;

    public ImageDecoder(ImageLimits? limits = null, TimeProvider? timeProvider = null)
    {
        Limits = limits ?? ImageLimits.Default;
        // The same generated validator the hosts run at start-up, for decoders built in code.
        if (new Hosting.ImageLimitsValidator().Validate(null, Limits) is { Failed: true } invalid)
        {
            throw new ArgumentException(invalid.FailureMessage, nameof(limits));
        }

        _time = timeProvider ?? TimeProvider.System;
        _tiff = new ImageSharpTiffCodec(Limits);
    }

    public ImageLimits Limits { get; }

    /// <summary>Formats this decoder accepts, by the names <see cref="DecodedImage.Format"/> reports.</summary>
    public static IReadOnlyList<string> SupportedFormats { get; } = ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"];

    /// <summary>
    /// Reads the header only (no pixel is decoded, nothing large is allocated) and says what
    /// <see cref="Decode"/> would produce for <paramref name="target"/> and how much memory it would take.
    /// </summary>
    /// <exception cref="ImageDecodeException">Not an image, an unsupported format, over the limits, or a broken structure.</exception>
    public ImageProbe Probe(ReadOnlySpan<byte> data, ImageTarget target)
    {
        var header = ReadHeader(data);
        var plan = DecodePlan.For(header, target);
        var (sourceWidth, sourceHeight) = header.Oriented;
        return new ImageProbe(header.Format.Name(), sourceWidth, sourceHeight, plan.Width, plan.Height, header.Orientation, plan.Bytes);
    }

    /// <exception cref="ImageDecodeException">The bytes are not an acceptable image, or decoding ran out of budget.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public DecodedImage Decode(ReadOnlyMemory<byte> data, ImageTarget target, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var header = ReadHeader(data.Span);
        var plan = DecodePlan.For(header, target);
        var budget = new DecodeBudget(_time, Limits.DecodeTimeout, cancellationToken);
        PixelBuffer? stored = null;
        try
        {
            stored = header.Format == ImageFormat.Tiff
                ? _tiff.Decode(data, header, budget)
                : SkiaCodec.Decode(data, header, plan, budget, Limits.AllowPartialImages);
            var upright = Orient(stored, plan, header.Orientation);
            if (!ReferenceEquals(upright, stored))
            {
                stored.Dispose();
            }

            stored = null;
            var (sourceWidth, sourceHeight) = header.Oriented;
            return new DecodedImage(upright, plan.Width, plan.Height, sourceWidth, sourceHeight, header.Format.Name());
        }
        catch (Exception ex) when (ex is not (ImageDecodeException or OperationCanceledException or InvalidOperationException))
        {
            // Codecs can throw anything on hostile input; all of it is the client's bad data, not a server fault.
            // InvalidOperationException stays a 500: it is our plan disagreeing with the codec, a bug.
            throw new ImageDecodeException(ImageFailureReason.Corrupt, $"The {header.Format.Name()} data could not be decoded: {ex.Message}", ex);
        }
        finally
        {
            stored?.Dispose();
        }
    }

    private static PixelBuffer Orient(PixelBuffer stored, DecodePlan plan, ImageOrientation orientation)
    {
        if (orientation == ImageOrientation.TopLeft)
        {
            return stored;
        }

        var upright = PixelBuffer.Rent(stored.Length);
        PixelOrientation.Apply(
            MemoryMarshal.Cast<byte, uint>(stored.Span),
            plan.StoredWidth,
            plan.StoredHeight,
            orientation,
            MemoryMarshal.Cast<byte, uint>(upright.Span));
        return upright;
    }

    private ImageHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ImageDecodeException(ImageFailureReason.NotAnImage, "The body is empty.");
        }

        var format = ImageSignature.Identify(data) ?? throw Unrecognised(data);
        ImageHeader header;
        try
        {
            header = format switch
            {
                ImageFormat.Jpeg => JpegStructure.Read(data, Limits),
                ImageFormat.Png => PngStructure.Read(data, Limits),
                ImageFormat.Gif => GifStructure.Read(data, Limits),
                ImageFormat.WebP => WebPStructure.Read(data, Limits),
                ImageFormat.Bmp => BmpStructure.Read(data, Limits),
                _ => TiffStructure.Read(data, Limits),
            };
        }
        catch (ArgumentOutOfRangeException ex)
        {
            // A length field pointing past the data that a check above missed; the data is broken either way.
            throw new ImageDecodeException(ImageFailureReason.Corrupt, $"The {format.Name()} structure is cut off or inconsistent.", ex);
        }

        return header;
    }

    private static ImageDecodeException Unrecognised(ReadOnlySpan<byte> data) =>
        UnsupportedFormatSignatures.Identify(data) is { } unsupported
            ? new ImageDecodeException(
                ImageFailureReason.Unsupported,
                $"{unsupported} images are not supported; send {string.Join(", ", SupportedFormats)}.")
            : new ImageDecodeException(
                ImageFailureReason.NotAnImage,
                $"The data is not a recognised image ({data.Length} bytes, no JPEG, PNG, WebP, GIF, BMP or TIFF signature).");
}
