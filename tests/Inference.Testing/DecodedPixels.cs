using Inference.Core.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Testing;

/// <summary>Reads decoded pixels in the terms tests compare with (ImageSharp's pixel types).</summary>
public static class DecodedPixels
{
    public static Rgb24 RgbAt(this DecodedImage image, int x, int y)
    {
        ArgumentNullException.ThrowIfNull(image);
        var pixel = image.Row(y).Slice(x * DecodedImage.BytesPerPixel, 3);
        return new Rgb24(pixel[0], pixel[1], pixel[2]);
    }
}
