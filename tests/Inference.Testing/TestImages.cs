using Inference.DemoModel;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Testing;

/// <summary>Small images made in the test, encoded in any format.</summary>
public static class TestImages
{
    /// <summary>Left half <paramref name="left"/>, right half <paramref name="right"/>.</summary>
    public static Image<Rgb24> Split(int width, int height, Rgb24 left, Rgb24 right)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = x < width / 2 ? left : right;
            }
        }

        return image;
    }

    /// <summary>A camera-like gradient with noise (see <see cref="SyntheticPhoto"/>).</summary>
    public static Image<Rgb24> Gradient(int width, int height, int seed = 1) => SyntheticPhoto.Create(width, height, seed);

    public static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    public static byte[] Png<TPixel>(Image<TPixel> image)
        where TPixel : unmanaged, IPixel<TPixel> => Encode(image, new PngEncoder());

    /// <summary>A valid PNG signature and IHDR declaring any size, followed by nothing: a decompression bomb's header.</summary>
    public static byte[] PngHeaderOnly(uint width, uint height) => Hostile.PngChunks.File(Hostile.PngChunks.Header(width, height));
}
