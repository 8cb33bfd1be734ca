using System.Collections.Concurrent;
using Inference.Core.Imaging;
using Inference.Testing;
using Inference.Testing.Hostile;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Core.Tests.Imaging;

public sealed class ScaledDecodeTests
{
    private static readonly ImageDecoder Decoder = new();
    private static readonly ConcurrentDictionary<(int, int, ushort), byte[]> Jpegs = new();

    [Fact]
    public void A_12_mp_photo_for_a_416_model_decodes_at_one_eighth_and_keeps_its_original_size()
    {
        var jpeg = Jpeg(4032, 3024, 1);

        var probe = Decoder.Probe(jpeg, new ImageTarget(416, 416));
        using var decoded = Decoder.Decode(jpeg, new ImageTarget(416, 416), default);

        Assert.Equal((504, 378, 4032, 3024), (decoded.Width, decoded.Height, decoded.SourceWidth, decoded.SourceHeight));
        Assert.Equal((504, 378, 4032, 3024), (probe.Width, probe.Height, probe.SourceWidth, probe.SourceHeight));
        Assert.InRange(probe.DecodeBytes, 504L * 378 * 4, 4032L * 3024 * 4 / 8);
    }

    [Fact]
    public void A_quarter_turned_photo_swaps_width_and_height_and_picks_its_scale_upright()
    {
        // Stored 1600×800, orientation 6: upright 800×1600, whose letterbox content in 416×416 is 208×416.
        var jpeg = Jpeg(1600, 800, 6);

        using var decoded = Decoder.Decode(jpeg, new ImageTarget(416, 416), default);

        Assert.Equal((800, 1600), (decoded.SourceWidth, decoded.SourceHeight));
        Assert.Equal((300, 600), (decoded.Width, decoded.Height)); // 3/8; 2/8 gives 200×400, short of 208×416
    }

    public static TheoryData<int, int, ushort, int, int> SizesTargetsAndOrientations()
    {
        var data = new TheoryData<int, int, ushort, int, int>();
        foreach (var (width, height) in new[] { (4031, 3023), (1001, 999), (17, 9), (640, 480), (3000, 4000), (1920, 1080) })
        {
            foreach (ushort orientation in new ushort[] { 1, 6 })
            {
                foreach (var (targetWidth, targetHeight) in new[] { (416, 416), (640, 640), (320, 192), (0, 0) })
                {
                    data.Add(width, height, orientation, targetWidth, targetHeight);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SizesTargetsAndOrientations))]
    public void The_probe_predicts_the_decode_and_the_scale_is_the_smallest_that_covers_the_letterbox(int width, int height, ushort orientation, int targetWidth, int targetHeight)
    {
        var jpeg = Jpeg(width, height, orientation);
        var target = new ImageTarget(targetWidth, targetHeight);

        var probe = Decoder.Probe(jpeg, target);
        using var decoded = Decoder.Decode(jpeg, target, default);

        var upright = orientation == 6 ? (height, width) : (width, height);
        Assert.Equal(upright, (decoded.SourceWidth, decoded.SourceHeight));
        Assert.Equal((probe.Width, probe.Height, probe.SourceWidth, probe.SourceHeight), (decoded.Width, decoded.Height, decoded.SourceWidth, decoded.SourceHeight));
        Assert.True(probe.DecodeBytes >= (long)decoded.Width * decoded.Height * DecodedImage.BytesPerPixel);
        if (target.IsFull)
        {
            Assert.Equal(upright, (decoded.Width, decoded.Height));
            return;
        }

        var content = LetterboxTransform.Compute(upright.Item1, upright.Item2, targetWidth, targetHeight, Inference.Core.Model.LetterboxAnchor.Center);
        var eighths = Enumerable.Range(1, 8).First(k => Eighths(upright.Item1, k) == decoded.Width && Eighths(upright.Item2, k) == decoded.Height);
        Assert.True(eighths == 8 || (decoded.Width >= content.ContentWidth && decoded.Height >= content.ContentHeight), $"{decoded.Width}×{decoded.Height} does not cover {content.ContentWidth}×{content.ContentHeight}.");
        Assert.True(eighths == 1 || Eighths(upright.Item1, eighths - 1) < content.ContentWidth || Eighths(upright.Item2, eighths - 1) < content.ContentHeight, $"{eighths - 1}/8 would have covered the letterbox too.");
    }

    [Theory]
    [InlineData("png")]
    [InlineData("webp")]
    [InlineData("gif")]
    public void Formats_without_dct_scaling_decode_at_full_size_whatever_the_target(string format)
    {
        using var picture = new Image<Rgb24>(1200, 900, new Rgb24(10, 20, 30));
        var bytes = format switch
        {
            "png" => SkiaEncoding.Png(picture),
            "webp" => SkiaEncoding.WebP(picture),
            _ => TestImages.Encode(picture, new SixLabors.ImageSharp.Formats.Gif.GifEncoder()),
        };

        var probe = Decoder.Probe(bytes, new ImageTarget(416, 416));
        using var decoded = Decoder.Decode(bytes, new ImageTarget(416, 416), default);

        Assert.Equal((1200, 900), (decoded.Width, decoded.Height));
        Assert.Equal((1200, 900), (probe.Width, probe.Height));
    }

    [Fact]
    public void Probing_reads_the_header_only()
    {
        var jpeg = Jpeg(4032, 3024, 6);
        Decoder.Probe(jpeg, new ImageTarget(416, 416));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var probe = Decoder.Probe(jpeg, new ImageTarget(416, 416));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(("JPEG", ImageOrientation.RightTop), (probe.Format, probe.Orientation));
        Assert.True(allocated < 16 << 10, $"Probing allocated {allocated} bytes.");
    }

    [Theory]
    [InlineData("not an image", ImageFailureReason.NotAnImage)]
    [InlineData("huge", ImageFailureReason.TooLarge)]
    [InlineData("scans", ImageFailureReason.TooComplex)]
    public void Probing_refuses_what_decoding_would_refuse(string kind, ImageFailureReason reason)
    {
        var data = kind switch
        {
            "not an image" => "hello"u8.ToArray(),
            "huge" => TestImages.PngHeaderOnly(100_000, 100_000),
            _ => HostileCorpus.ProgressiveScanFlood(64, 64, 100),
        };

        var probe = Assert.Throws<ImageDecodeException>(() => Decoder.Probe(data, new ImageTarget(416, 416)));
        var decode = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(data, new ImageTarget(416, 416), default));

        Assert.Equal(reason, probe.Reason);
        Assert.Equal(reason, decode.Reason);
    }

    private static int Eighths(int side, int eighths) => (int)(((long)side * eighths + 7) / 8);

    private static byte[] Jpeg(int width, int height, ushort orientation) => Jpegs.GetOrAdd((width, height, orientation), key =>
    {
        using var picture = new Image<Rgb24>(key.Item1, key.Item2, new Rgb24(200, 120, 40));
        var jpeg = SkiaEncoding.Jpeg(picture);
        return key.Item3 == 1 ? jpeg : JpegSegments.WithOrientation(jpeg, key.Item3);
    });
}
