using Inference.Core.Imaging;
using SkiaSharp;

namespace Inference.Lambda.Preprocessing;

/// <summary>The image as it travels to the service: upright (EXIF applied by the decoder), at most MaxSide, JPEG.</summary>
public sealed record UprightJpeg(byte[] Bytes, int Width, int Height);

/// <summary>
/// Decodes an upload with the service's own decoder (<see cref="ImageDecoder"/>: structure checks, limits, time budget,
/// DCT-scaled JPEG decode, EXIF orientation) and re-encodes the upright pixels, shrunk to fit <c>MaxSide</c>. The
/// service then decodes a small, metadata-free JPEG.
/// </summary>
public static class UprightJpegEncoder
{
    /// <exception cref="ImageDecodeException">The upload is not an acceptable image.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public static unsafe (UprightJpeg Image, string Format, int SourceWidth, int SourceHeight) Encode(
        ImageDecoder decoder, ReadOnlyMemory<byte> upload, int maxSide, int quality, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        using var decoded = decoder.Decode(upload, new ImageTarget(maxSide, maxSide), cancellationToken);
        var (width, height) = Fit(decoded.SourceWidth, decoded.SourceHeight, maxSide);
        var info = new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        fixed (byte* pixels = decoded.Pixels)
        {
            using var source = new SKPixmap(info, (IntPtr)pixels, decoded.RowBytes);
            using var resized = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            // Mitchell cubic: the same kind of downscale a photo editor makes, without ringing on edges.
            if (!source.ScalePixels(resized.PeekPixels(), new SKSamplingOptions(SKCubicResampler.Mitchell)))
            {
                throw new InvalidOperationException($"Skia could not scale {decoded.Width}×{decoded.Height} to {width}×{height}.");
            }

            using var pixmap = resized.PeekPixels();
            using var data = pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore))
                ?? throw new InvalidOperationException("Skia could not encode the JPEG.");
            return (new UprightJpeg(data.ToArray(), width, height), decoded.Format, decoded.SourceWidth, decoded.SourceHeight);
        }
    }

    /// <summary>The upright size scaled down (never up) so that its longer side is at most <paramref name="maxSide"/>.</summary>
    public static (int Width, int Height) Fit(int width, int height, int maxSide)
    {
        var longer = Math.Max(width, height);
        if (longer <= maxSide)
        {
            return (width, height);
        }

        var scale = (double)maxSide / longer;
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }
}
