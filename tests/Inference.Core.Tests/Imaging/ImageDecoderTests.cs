using Inference.Core.Imaging;
using Inference.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Core.Tests.Imaging;

public sealed class ImageDecoderTests
{
    private static readonly Rgb24 Red = new(220, 30, 30);
    private static readonly Rgb24 Blue = new(30, 40, 220);
    private readonly ImageDecoder _decoder = new();

    public static TheoryData<string, IImageEncoder> LosslessEncoders => new()
    {
        { "PNG", new PngEncoder() },
        { "WEBP", new WebpEncoder { FileFormat = WebpFileFormatType.Lossless } },
        { "BMP", new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 } },
        { "TIFF", new TiffEncoder() },
        { "GIF", new GifEncoder() },
    };

    [Theory]
    [MemberData(nameof(LosslessEncoders))]
    public void Lossless_formats_decode_to_the_exact_rgb_pixels(string format, IImageEncoder encoder)
    {
        using var source = TestImages.Split(64, 32, Red, Blue);

        using var decoded = _decoder.Decode(TestImages.Encode(source, encoder));

        Assert.Equal(format, decoded.Format);
        Assert.Equal((64, 32), (decoded.Width, decoded.Height));
        Assert.Equal(Red, decoded.Pixels[5, 5]);
        Assert.Equal(Blue, decoded.Pixels[60, 30]);
    }

    [Theory]
    [InlineData(JpegColorType.YCbCrRatio420)]
    [InlineData(JpegColorType.YCbCrRatio444)]
    [InlineData(JpegColorType.Luminance)]
    [InlineData(JpegColorType.Cmyk)]
    public void Jpeg_colour_models_become_rgb(JpegColorType colorType)
    {
        using var source = TestImages.Split(64, 32, Red, Blue);

        using var decoded = _decoder.Decode(TestImages.Encode(source, new JpegEncoder { Quality = 95, ColorType = colorType }));

        Assert.Equal("JPEG", decoded.Format);
        var left = decoded.Pixels[8, 16];
        var right = decoded.Pixels[56, 16];
        if (colorType == JpegColorType.Luminance)
        {
            // Grey stays grey: equal channels, the luma of each half (red is the brighter one).
            Assert.Equal(left.R, left.G);
            Assert.Equal(left.G, left.B);
            Assert.InRange(left.R, 60, 95);
            Assert.InRange(right.R, 40, 75);
            Assert.True(left.R > right.R);
        }
        else
        {
            AssertClose(Red, left, 12);
            AssertClose(Blue, right, 12);
        }
    }

    [Fact]
    public void Grayscale_png_becomes_rgb_with_equal_channels()
    {
        using var grey = new Image<L8>(10, 10, new L8(77));

        using var decoded = _decoder.Decode(TestImages.Png(grey));

        Assert.Equal(new Rgb24(77, 77, 77), decoded.Pixels[3, 3]);
    }

    [Fact]
    public void Sixteen_bit_png_becomes_8_bit_rgb()
    {
        using var deep = new Image<Rgb48>(10, 10, new Rgb48(65535, 32896, 0));
        var bytes = TestImages.Encode(deep, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });

        using var decoded = _decoder.Decode(bytes);

        Assert.Equal(new Rgb24(255, 128, 0), decoded.Pixels[9, 9]);
    }

    [Fact]
    public void Alpha_is_dropped_like_pil_convert_rgb()
    {
        using var translucent = new Image<Rgba32>(10, 10, new Rgba32(10, 200, 30, 40));

        using var decoded = _decoder.Decode(TestImages.Png(translucent));

        Assert.Equal(new Rgb24(10, 200, 30), decoded.Pixels[0, 0]);
    }

    [Fact]
    public void Exif_orientation_is_applied()
    {
        // Stored 40×20, left red; orientation 6 means "rotate 90° clockwise to display".
        using var source = TestImages.Split(40, 20, Red, Blue);
        source.Metadata.ExifProfile = new ExifProfile();
        source.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);

        using var decoded = _decoder.Decode(TestImages.Encode(source, new JpegEncoder { Quality = 95 }));

        Assert.Equal((20, 40), (decoded.Width, decoded.Height));
        AssertClose(Red, decoded.Pixels[10, 5], 12);
        AssertClose(Blue, decoded.Pixels[10, 35], 12);
    }

    [Fact]
    public void Animated_gif_decodes_only_its_first_frame()
    {
        using var animation = new Image<Rgb24>(16, 16, Red);
        using (var second = new Image<Rgb24>(16, 16, Blue))
        {
            animation.Frames.AddFrame(second.Frames.RootFrame);
        }

        using var decoded = _decoder.Decode(TestImages.Encode(animation, new GifEncoder()));

        Assert.Equal(1, decoded.Pixels.Frames.Count);
        Assert.Equal(Red, decoded.Pixels[8, 8]);
    }

    [Fact]
    public void A_bomb_header_is_refused_before_any_pixel_buffer_exists()
    {
        var bomb = TestImages.PngHeaderOnly(100_000, 100_000);

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var failure = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(bomb));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal(ImageFailureReason.TooLarge, failure.Reason);
        Assert.Contains("100000×100000", failure.Message, StringComparison.Ordinal);
        Assert.True(allocated < 4 << 20, $"Refusing the header allocated {allocated} bytes.");
    }

    [Fact]
    public void Pixel_and_side_limits_are_configurable()
    {
        var bytes = TestImages.Png(TestImages.Split(200, 100, Red, Blue));

        var byPixels = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(new ImageLimits { MaxPixels = 10_000 }).Decode(bytes));
        var bySide = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(new ImageLimits { MaxSide = 150 }).Decode(bytes));
        using var accepted = new ImageDecoder(new ImageLimits { MaxPixels = 20_000, MaxSide = 200 }).Decode(bytes);

        Assert.Equal(ImageFailureReason.TooLarge, byPixels.Reason);
        Assert.Equal(ImageFailureReason.TooLarge, bySide.Reason);
        Assert.Contains("longest side", bySide.Message, StringComparison.Ordinal);
        Assert.Equal(200, accepted.Width);
    }

    public static TheoryData<string, byte[], ImageFailureReason> HostileInputs()
    {
        var jpeg = TestImages.Encode(TestImages.Gradient(64, 64), new JpegEncoder { Quality = 90 });
        var png = TestImages.Png(TestImages.Gradient(64, 64));
        var random = new byte[4096];
        new Random(42).NextBytes(random);
        random[0] = 0x00; // never an accidental signature
        return new()
        {
            { "empty body", [], ImageFailureReason.NotAnImage },
            { "random bytes", random, ImageFailureReason.NotAnImage },
            { "text named .jpg", "this is not a picture, just words in a file called photo.jpg"u8.ToArray(), ImageFailureReason.NotAnImage },
            { "1 KB of zeros", new byte[1024], ImageFailureReason.NotAnImage },
            { "truncated PNG", png[..(png.Length / 2)], ImageFailureReason.Corrupt },
            { "PNG signature only", png[..8], ImageFailureReason.Corrupt },
            { "truncated JPEG header", jpeg[..64], ImageFailureReason.Corrupt },
            { "PNG declaring 100000×100000", TestImages.PngHeaderOnly(100_000, 100_000), ImageFailureReason.TooLarge },
            { "PNG declaring 0×0", TestImages.PngHeaderOnly(0, 0), ImageFailureReason.Corrupt },
            { "HEIC", [0, 0, 0, 24, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8], ImageFailureReason.Unsupported },
        };
    }

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public void Hostile_input_gets_its_typed_failure_and_the_next_image_still_decodes(string name, byte[] data, ImageFailureReason expected)
    {
        var failure = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(data));

        Assert.True(expected == failure.Reason, $"{name}: expected {expected}, got {failure.Reason} ({failure.Message})");
        Assert.False(string.IsNullOrWhiteSpace(failure.Message));
        using var next = _decoder.Decode(TestImages.Png(TestImages.Split(8, 8, Red, Blue)));
        Assert.Equal(8, next.Width);
    }

    [Fact]
    public void A_jpeg_cut_mid_scan_is_corrupt_or_decodes_to_its_declared_size()
    {
        // libjpeg-style decoders may render what arrived; either outcome is acceptable, a crash is not.
        var jpeg = TestImages.Encode(TestImages.Gradient(256, 256), new JpegEncoder { Quality = 90 });
        var cut = jpeg[..(jpeg.Length * 2 / 3)];

        try
        {
            using var decoded = _decoder.Decode(cut);
            Assert.Equal((256, 256), (decoded.Width, decoded.Height));
        }
        catch (ImageDecodeException failure)
        {
            Assert.Equal(ImageFailureReason.Corrupt, failure.Reason);
        }
    }

    private static void AssertClose(Rgb24 expected, Rgb24 actual, int tolerance) =>
        Assert.True(
            Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance && Math.Abs(expected.B - actual.B) <= tolerance,
            $"Expected about {expected}, got {actual}.");
}
