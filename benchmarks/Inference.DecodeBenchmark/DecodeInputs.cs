using Inference.DemoModel;
using Inference.Testing;
using Inference.Testing.Hostile;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Inference.DecodeBenchmark;

/// <summary>One encoded picture to decode.</summary>
internal sealed record EncodedImage(string Format, string Size, string Source, byte[] Data);

/// <summary>
/// The fixture photos (451×300 to 640×427) and 12 MP copies (coffee.png resized to 4032×3024, as a phone takes
/// them), in every format the service accepts. Skia's encoders where they exist (faster, and what cameras and
/// browsers use underneath), ImageSharp's for GIF, BMP and TIFF.
/// </summary>
internal static class DecodeInputs
{
    public const string Photos = "photos";
    public const string TwelveMegapixels = "4032×3024";

    private static readonly string[] FixturePhotos = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"];

    public static IReadOnlyList<EncodedImage> Create()
    {
        var inputs = new List<EncodedImage>();
        foreach (var name in FixturePhotos)
        {
            using var photo = Load(name);
            inputs.AddRange(AllFormats(photo, Photos, name));
        }

        using var coffee = Load("coffee.png");
        using var large = coffee.Clone(x => x.Resize(4032, 3024, KnownResamplers.Bicubic));
        inputs.AddRange(AllFormats(large, TwelveMegapixels, "coffee.png ×6.7"));
        return inputs;
    }

    /// <summary>A 4032×3024 baseline JPEG, and a 1920×1080 one, of the same photo.</summary>
    public static (byte[] Jpeg12Mp, byte[] Jpeg1080p) Jpegs()
    {
        using var coffee = Load("coffee.png");
        using var large = coffee.Clone(x => x.Resize(4032, 3024, KnownResamplers.Bicubic));
        using var hd = coffee.Clone(x => x.Resize(1920, 1080, KnownResamplers.Bicubic));
        return (SkiaEncoding.Jpeg(large), SkiaEncoding.Jpeg(hd));
    }

    /// <summary>A 40 MP lossy WebP (7296×5472): libwebp decodes it in one call that the budget cannot interrupt.</summary>
    public static byte[] WebP40Mp()
    {
        using var coffee = Load("coffee.png");
        using var huge = coffee.Clone(x => x.Resize(7296, 5472, KnownResamplers.Bicubic));
        return SkiaEncoding.WebP(huge);
    }

    public static Image<Rgb24> Load(string name)
    {
        var path = YoloxFixture.Photo(name);
        if (File.Exists(path))
        {
            return Image.Load<Rgb24>(path);
        }

        Console.Error.WriteLine($"WARNING: {path} is missing; using a generated picture. {YoloxFixture.SkipReason}");
        return SyntheticPhoto.Create(600, 400, seed: name.Length);
    }

    private static IEnumerable<EncodedImage> AllFormats(Image<Rgb24> image, string size, string source)
    {
        yield return new("JPEG", size, source, SkiaEncoding.Jpeg(image));
        yield return new("PNG", size, source, SkiaEncoding.Png(image));
        yield return new("WEBP", size, source, SkiaEncoding.WebP(image));
        yield return new("GIF", size, source, TestImages.Encode(image, new GifEncoder()));
        yield return new("BMP", size, source, TestImages.Encode(image, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }));
        yield return new("TIFF", size, source, TiffWriter.Write(image));
    }
}
