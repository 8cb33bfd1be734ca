using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace Inference.Testing;

/// <summary>
/// Encodes test pictures with Skia's encoders (libjpeg-turbo, libpng, libwebp): ten times faster than
/// ImageSharp's for PNG and WebP, and files from a second, widely used encoder family.
/// </summary>
public static class SkiaEncoding
{
    public static byte[] Jpeg(Image<Rgb24> image, int quality = 90) => Encode(image, pixmap => pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore)));

    public static byte[] Png(Image<Rgb24> image) => Encode(image, pixmap => pixmap.Encode(SKPngEncoderOptions.Default));

    public static byte[] WebP(Image<Rgb24> image, int quality = 80, bool lossless = false) =>
        Encode(image, pixmap => pixmap.Encode(new SKWebpEncoderOptions(lossless ? SKWebpEncoderCompression.Lossless : SKWebpEncoderCompression.Lossy, quality)));

    private static byte[] Encode(Image<Rgb24> image, Func<SKPixmap, SKData?> encode)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rgba = new Rgba32[image.Width * image.Height];
        image.CloneAs<Rgba32>().CopyPixelDataTo(rgba);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            using var data = encode(pixmap) ?? throw new InvalidOperationException("Skia could not encode the picture.");
            return data.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }
}
