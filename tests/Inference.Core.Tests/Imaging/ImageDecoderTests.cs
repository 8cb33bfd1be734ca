using Inference.Core.Imaging;
using Inference.Testing;
using Inference.Testing.Hostile;
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
using SixLabors.ImageSharp.Processing;

namespace Inference.Core.Tests.Imaging;

public sealed class ImageDecoderTests
{
    private static readonly Rgb24 Red = new(220, 30, 30);
    private static readonly Rgb24 Blue = new(30, 40, 220);
    private readonly ImageDecoder _decoder = new();

    public static TheoryData<string, IImageEncoder> LosslessEncoders => new()
    {
        { "PNG", new PngEncoder() },
        { "PNG", new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 } },
        { "WEBP", new WebpEncoder { FileFormat = WebpFileFormatType.Lossless } },
        { "BMP", new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 } },
        { "BMP", new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel32 } },
        { "TIFF", new TiffEncoder() },
        { "GIF", new GifEncoder() },
    };

    [Theory]
    [MemberData(nameof(LosslessEncoders))]
    public void Lossless_formats_decode_to_the_exact_rgb_pixels(string format, IImageEncoder encoder)
    {
        using var source = TestImages.Split(64, 32, Red, Blue);

        using var decoded = Decode(TestImages.Encode(source, encoder));

        Assert.Equal(format, decoded.Format);
        Assert.Equal((64, 32, 64, 32), (decoded.Width, decoded.Height, decoded.SourceWidth, decoded.SourceHeight));
        Assert.Equal(Red, decoded.RgbAt(5, 5));
        Assert.Equal(Blue, decoded.RgbAt(60, 30));
    }

    [Fact]
    public void A_noisy_photo_survives_a_lossless_round_trip_pixel_for_pixel()
    {
        using var source = TestImages.Gradient(97, 61, seed: 3);

        using var decoded = Decode(TestImages.Png(source));

        for (var y = 0; y < source.Height; y++)
        {
            for (var x = 0; x < source.Width; x++)
            {
                Assert.Equal(source[x, y], decoded.RgbAt(x, y));
            }
        }
    }

    [Theory]
    [InlineData(JpegColorType.YCbCrRatio420)]
    [InlineData(JpegColorType.YCbCrRatio444)]
    [InlineData(JpegColorType.Luminance)]
    [InlineData(JpegColorType.Cmyk)]
    public void Jpeg_colour_models_become_rgb(JpegColorType colorType)
    {
        using var source = TestImages.Split(64, 32, Red, Blue);

        using var decoded = Decode(TestImages.Encode(source, new JpegEncoder { Quality = 95, ColorType = colorType }));

        Assert.Equal("JPEG", decoded.Format);
        var left = decoded.RgbAt(8, 16);
        var right = decoded.RgbAt(56, 16);
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

        using var decoded = Decode(TestImages.Png(grey));

        Assert.Equal(new Rgb24(77, 77, 77), decoded.RgbAt(3, 3));
    }

    [Fact]
    public void Sixteen_bit_png_becomes_8_bit_rgb()
    {
        using var deep = new Image<Rgb48>(10, 10, new Rgb48(65535, 32896, 0));
        var bytes = TestImages.Encode(deep, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });

        using var decoded = Decode(bytes);

        Assert.Equal(new Rgb24(255, 128, 0), decoded.RgbAt(9, 9));
    }

    [Fact]
    public void Alpha_is_dropped_like_pil_convert_rgb()
    {
        using var translucent = new Image<Rgba32>(10, 10, new Rgba32(10, 200, 30, 40));

        using var decoded = Decode(TestImages.Png(translucent));

        Assert.Equal(new Rgb24(10, 200, 30), decoded.RgbAt(0, 0));
    }

    public static TheoryData<string, ushort> OrientationsByFormat()
    {
        var data = new TheoryData<string, ushort>();
        foreach (var format in new[] { "PNG", "WEBP", "JPEG", "TIFF" })
        {
            for (ushort orientation = 1; orientation <= 8; orientation++)
            {
                data.Add(format, orientation);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OrientationsByFormat))]
    public void Every_exif_orientation_comes_out_upright_like_imagesharps_auto_orient(string format, ushort orientation)
    {
        // Four distinct quadrants on a 40×24 picture: any wrong flip or turn moves a colour.
        using var source = Quadrants(40, 24);
        source.Metadata.ExifProfile = new ExifProfile();
        source.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        var encoded = format switch
        {
            "PNG" => TestImages.Encode(source, new PngEncoder()),
            "WEBP" => TestImages.Encode(source, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }),
            "JPEG" => TestImages.Encode(source, new JpegEncoder { Quality = 100, ColorType = JpegColorType.YCbCrRatio444 }),
            _ => TiffWriter.Write(source, orientation),
        };
        using var expected = source.Clone(x => x.AutoOrient());

        using var decoded = Decode(encoded);

        Assert.Equal((expected.Width, expected.Height), (decoded.Width, decoded.Height));
        Assert.Equal((expected.Width, expected.Height), (decoded.SourceWidth, decoded.SourceHeight));
        for (var y = 0; y < expected.Height; y++)
        {
            for (var x = 0; x < expected.Width; x++)
            {
                AssertClose(expected[x, y], decoded.RgbAt(x, y), format == "JPEG" ? 16 : 0);
            }
        }
    }

    [Fact]
    public void Animated_gif_decodes_only_its_first_frame()
    {
        using var animation = new Image<Rgb24>(16, 16, Red);
        using (var second = new Image<Rgb24>(16, 16, Blue))
        {
            animation.Frames.AddFrame(second.Frames.RootFrame);
        }

        using var decoded = Decode(TestImages.Encode(animation, new GifEncoder()));

        Assert.Equal(Red, decoded.RgbAt(8, 8));
    }

    [Fact]
    public void A_small_first_gif_frame_leaves_the_rest_of_the_screen_clear_not_last_requests_pixels()
    {
        // Fill the pool's buffers with a bright picture first: the GIF must not show any of it through.
        using (Decode(TestImages.Png(TestImages.Split(200, 200, Red, Blue))))
        {
        }

        byte[] gif = [.. "GIF89a"u8, 200, 0, 200, 0, 0x80, 0, 0, 10, 20, 30, 40, 50, 60, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B];

        using var decoded = Decode(gif);

        Assert.Equal((200, 200), (decoded.Width, decoded.Height));
        Assert.Equal(new Rgb24(10, 20, 30), decoded.RgbAt(0, 0));
        Assert.Equal(decoded.RgbAt(100, 100), decoded.RgbAt(199, 199));
        Assert.NotEqual(Red, decoded.RgbAt(50, 50));
        Assert.NotEqual(Blue, decoded.RgbAt(150, 150));
    }

    [Fact]
    public void A_bomb_header_is_refused_before_any_pixel_buffer_exists()
    {
        var bomb = TestImages.PngHeaderOnly(100_000, 100_000);

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var failure = Assert.Throws<ImageDecodeException>(() => Decode(bomb));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal(ImageFailureReason.TooLarge, failure.Reason);
        Assert.Contains("100000×100000", failure.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64 << 10, $"Refusing the header allocated {allocated} bytes.");
    }

    [Fact]
    public void Pixel_and_side_limits_are_configurable()
    {
        var bytes = TestImages.Png(TestImages.Split(200, 100, Red, Blue));

        var byPixels = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(new ImageLimits { MaxPixels = 10_000 }).Decode(bytes, ImageTarget.Full, default));
        var bySide = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(new ImageLimits { MaxSide = 150 }).Decode(bytes, ImageTarget.Full, default));
        using var accepted = new ImageDecoder(new ImageLimits { MaxPixels = 20_000, MaxSide = 200 }).Decode(bytes, ImageTarget.Full, default);

        Assert.Equal(ImageFailureReason.TooLarge, byPixels.Reason);
        Assert.Equal(ImageFailureReason.TooLarge, bySide.Reason);
        Assert.Contains("longest side", bySide.Message, StringComparison.Ordinal);
        Assert.Equal(200, accepted.Width);
    }

    [Theory]
    [InlineData(0, "MaxPixels")]
    [InlineData(-1, "DecodeTimeout")]
    public void Invalid_limits_are_refused_naming_the_setting(int value, string setting)
    {
        var limits = setting == "MaxPixels" ? new ImageLimits { MaxPixels = value } : new ImageLimits { DecodeTimeout = TimeSpan.FromMilliseconds(value) };

        var failure = Assert.Throws<ArgumentException>(() => new ImageDecoder(limits));

        Assert.Contains(setting, failure.Message, StringComparison.Ordinal);
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
            { "lossless JPEG (SOF3)", JpegSegments.InsertBefore(jpeg, 0xC0, [JpegSegments.Segment(0xC3, [8, 0, 8, 0, 8, 1, 1, 0x11, 0])]), ImageFailureReason.Unsupported },
            { "12-bit JPEG", Patch(jpeg, JpegSegments.Find(jpeg, 0xC0) + 4, 12), ImageFailureReason.Unsupported },
            { "BMP wrapping a PNG", Patch(HostileBmp(), 30, 5), ImageFailureReason.Unsupported },
        };
    }

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public void Hostile_input_gets_its_typed_failure_and_the_next_image_still_decodes(string name, byte[] data, ImageFailureReason expected)
    {
        var failure = Assert.Throws<ImageDecodeException>(() => Decode(data));

        Assert.True(expected == failure.Reason, $"{name}: expected {expected}, got {failure.Reason} ({failure.Message})");
        Assert.False(string.IsNullOrWhiteSpace(failure.Message));
        using var next = Decode(TestImages.Png(TestImages.Split(8, 8, Red, Blue)));
        Assert.Equal(8, next.Width);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.99)]
    public void A_jpeg_cut_mid_scan_is_corrupt_and_never_a_partly_grey_image(double kept)
    {
        var jpeg = SkiaEncoding.Jpeg(TestImages.Gradient(256, 256));
        var cut = jpeg[..(int)(jpeg.Length * kept)];

        var failure = Assert.Throws<ImageDecodeException>(() => Decode(cut));

        Assert.Equal(ImageFailureReason.Corrupt, failure.Reason);
        Assert.Contains("ends before the image is complete", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    [InlineData("gif")]
    public void Partial_images_are_returned_only_when_allowed_with_the_missing_rows_black(string format)
    {
        using var source = TestImages.Gradient(256, 256);
        var bytes = format switch
        {
            "jpeg" => SkiaEncoding.Jpeg(source),
            "png" => SkiaEncoding.Png(source),
            _ => TestImages.Encode(source, new GifEncoder()),
        };
        var cut = bytes[..(bytes.Length / 2)];
        var lenient = new ImageDecoder(new ImageLimits { AllowPartialImages = true });

        Assert.Equal(ImageFailureReason.Corrupt, Assert.Throws<ImageDecodeException>(() => Decode(cut)).Reason);
        using var partial = lenient.Decode(cut, ImageTarget.Full, default);

        Assert.Equal((256, 256), (partial.Width, partial.Height));
        AssertClose(source[10, 2], partial.RgbAt(10, 2), 40);
        Assert.Equal(new Rgb24(0, 0, 0), partial.RgbAt(10, 255));
    }

    [Theory]
    [InlineData("bmp")]
    [InlineData("tiff")]
    public void Truncated_bmp_and_tiff_are_corrupt_and_decode_only_when_partial_images_are_allowed(string format)
    {
        using var source = TestImages.Gradient(200, 150);
        var bytes = format == "bmp" ? TestImages.Encode(source, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }) : TiffWriter.Write(source);
        var cut = bytes[..(bytes.Length * 2 / 3)];

        var failure = Assert.Throws<ImageDecodeException>(() => Decode(cut));
        using var partial = new ImageDecoder(new ImageLimits { AllowPartialImages = true }).Decode(cut, ImageTarget.Full, default);

        Assert.Equal(ImageFailureReason.Corrupt, failure.Reason);
        Assert.Equal((200, 150), (partial.Width, partial.Height));
    }

    [Fact]
    public void A_cancelled_token_stops_before_any_work()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => _decoder.Decode(TestImages.Png(TestImages.Split(8, 8, Red, Blue)), ImageTarget.Full, cancelled.Token));
    }

    private DecodedImage Decode(byte[] data) => _decoder.Decode(data, ImageTarget.Full, CancellationToken.None);

    private static Image<Rgb24> Quadrants(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        Rgb24[] colours = [new(230, 20, 20), new(20, 220, 30), new(30, 30, 230), new(240, 230, 20)];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = colours[((y < height / 2) ? 0 : 2) + ((x < width / 2) ? 0 : 1)];
            }
        }

        return image;
    }

    private static byte[] HostileBmp() => TestImages.Encode(TestImages.Gradient(8, 8), new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });

    private static byte[] Patch(byte[] data, int offset, byte value)
    {
        var copy = (byte[])data.Clone();
        copy[offset] = value;
        return copy;
    }

    private static void AssertClose(Rgb24 expected, Rgb24 actual, int tolerance) =>
        Assert.True(
            Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance && Math.Abs(expected.B - actual.B) <= tolerance,
            $"Expected about {expected}, got {actual}.");
}
