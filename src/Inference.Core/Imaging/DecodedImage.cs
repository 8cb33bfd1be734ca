using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Core.Imaging;

/// <summary>An upright 8-bit RGB image, owned by the caller until disposed.</summary>
public sealed class DecodedImage : IDisposable
{
    internal DecodedImage(Image<Rgb24> pixels, string format)
    {
        Pixels = pixels;
        Format = format;
    }

    public Image<Rgb24> Pixels { get; }

    /// <summary>The container format that was decoded, e.g. "JPEG".</summary>
    public string Format { get; }

    public int Width => Pixels.Width;

    public int Height => Pixels.Height;

    public void Dispose() => Pixels.Dispose();
}
