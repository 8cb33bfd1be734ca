using Inference.Core.Imaging;
using Inference.Core.Postprocessing;
using Inference.Core.Rendering;
using Inference.Core.Serving;
using Inference.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace Inference.Core.Tests.Rendering;

public sealed class AnnotationRendererTests
{
    private static readonly Rgb24 Grey = new(128, 128, 128);
    private static readonly DetectionTimings NoTimings = new(0, 0, 0, 0, 0, 1, 0);

    private readonly ImageDecoder _decoder = new();

    [Fact]
    public async Task Box_edges_are_the_class_colour_and_the_line_lies_inside_the_box()
    {
        using var source = Plain(400, 300);
        var box = new BoundingBox(100, 80, 260, 200);

        using var annotated = await RenderAsync(TestImages.Png(source), [new Detection(2, "blue", 0.9f, box)], new AnnotationOptions(AnnotatedFormat.Png, Labels: false, Stroke: 3));
        using var output = Decode(annotated);

        var colour = Rgb(ClassPalette.For(2));
        foreach (var (x, y) in new[] { (100, 140), (259, 140), (180, 80), (180, 199), (102, 140), (180, 82) })
        {
            Assert.Equal(colour, output.RgbAt(x, y));
        }

        // Just outside the box, and just inside the 3-pixel line, the image is untouched.
        foreach (var (x, y) in new[] { (99, 140), (260, 140), (180, 79), (180, 200), (103, 140), (180, 83), (180, 140) })
        {
            Assert.Equal(Grey, output.RgbAt(x, y));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(20)]
    public async Task Stroke_sets_the_line_width_in_pixels(int stroke)
    {
        using var source = Plain(300, 300);
        var detections = new[] { new Detection(0, "red", 0.8f, new BoundingBox(50, 50, 250, 250)) };

        using var annotated = await RenderAsync(TestImages.Png(source), detections, new AnnotationOptions(AnnotatedFormat.Png, Labels: false, Stroke: stroke));
        using var output = Decode(annotated);

        var colour = Rgb(ClassPalette.For(0));
        Assert.Equal(colour, output.RgbAt(50 + stroke - 1, 150));
        Assert.Equal(Grey, output.RgbAt(50 + stroke, 150));
    }

    [Fact]
    public async Task Labels_false_draws_only_the_box()
    {
        using var source = Plain(400, 300);
        var detections = new[] { new Detection(1, "green", 0.75f, new BoundingBox(100, 100, 300, 250)) };
        var bytes = TestImages.Png(source);

        using var plain = await RenderAsync(bytes, detections, new AnnotationOptions(AnnotatedFormat.Png, Labels: false));
        using var labelled = await RenderAsync(bytes, detections, new AnnotationOptions(AnnotatedFormat.Png, Labels: true));
        using var withoutLabel = Decode(plain);
        using var withLabel = Decode(labelled);

        // The label sits just above the box's top-left corner.
        Assert.Equal(0, CountNot(withoutLabel, Grey, 100, 80, 200, 99));
        Assert.True(CountNot(withLabel, Grey, 100, 80, 200, 99) > 500, "No label was drawn above the box.");
    }

    [Theory]
    [InlineData(300, 200)]
    [InlineData(4000, 3000)]
    public async Task Labels_stay_readable_on_small_and_large_images(int width, int height)
    {
        using var source = Plain(width, height);
        var box = new BoundingBox(width * 0.3f, height * 0.4f, width * 0.7f, height * 0.9f);

        using var annotated = await RenderAsync(SkiaEncoding.Png(source), [new Detection(3, "yellow", 0.66f, box)], new AnnotationOptions(AnnotatedFormat.Png));
        using var output = Decode(annotated);

        // The label's band: rows above the box that the label fill covers, in the label colour.
        var fill = Rgb(ClassPalette.For(3));
        var x = (int)box.X1 + 1;
        var rows = 0;
        for (var y = (int)box.Y1 - 1; y >= 0 && output.RgbAt(x, y) == fill; y--)
        {
            rows++;
        }

        var style = AnnotationStyle.For(width, height);
        Assert.InRange(rows, (int)style.FontSize, int.MaxValue);
        Assert.True(rows >= 14, $"A {rows}-pixel label is too small to read.");
        Assert.True(rows >= Math.Min(width, height) / 60, $"A {rows}-pixel label is lost on a {width}×{height} image.");

        // Text is really drawn (an absent font draws nothing): the label holds dark glyph pixels on its light fill.
        var textPixels = CountNear(output, new Rgb24(0, 0, 0), (int)box.X1, (int)box.Y1 - rows, (int)box.X1 + (rows * 4), (int)box.Y1 - 1, 60);
        Assert.True(textPixels > rows, $"Only {textPixels} glyph pixels in the label.");
    }

    [Fact]
    public async Task An_exif_turned_jpeg_comes_back_upright_at_its_original_size()
    {
        // Stored 320×200 and tagged "rotate 90° clockwise": upright it is 200×320, the space boxes are in.
        using var stored = Plain(320, 200);
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        var jpeg = TestImages.Encode(stored, new JpegEncoder { Quality = 95 });
        var box = new BoundingBox(20, 200, 180, 300);

        using var annotated = await RenderAsync(jpeg, [new Detection(0, "red", 0.9f, box)], new AnnotationOptions(Labels: false, Stroke: 6));

        Assert.Equal("image/jpeg", annotated.ContentType);
        using var output = Decode(annotated);
        Assert.Equal((200, 320), (output.Width, output.Height));
        AssertClose(Rgb(ClassPalette.For(0)), output.RgbAt(22, 250), 40);
        AssertClose(Grey, output.RgbAt(100, 100), 12);
    }

    [Fact]
    public async Task The_format_follows_the_source_unless_asked()
    {
        using var source = Plain(64, 48);
        var png = TestImages.Png(source);
        var jpeg = SkiaEncoding.Jpeg(source);
        var detections = new[] { new Detection(0, "red", 0.9f, new BoundingBox(4, 4, 40, 40)) };

        using var fromPng = await RenderAsync(png, detections, new AnnotationOptions());
        using var fromJpeg = await RenderAsync(jpeg, detections, new AnnotationOptions());
        using var askedPng = await RenderAsync(jpeg, detections, new AnnotationOptions(AnnotatedFormat.Png));

        Assert.Equal(("image/png", "image/jpeg", "image/png"), (fromPng.ContentType, fromJpeg.ContentType, askedPng.ContentType));
        Assert.Equal(SKEncodedImageFormat.Png, EncodedFormat(fromPng));
        Assert.Equal(SKEncodedImageFormat.Jpeg, EncodedFormat(fromJpeg));
        Assert.Equal(SKEncodedImageFormat.Png, EncodedFormat(askedPng));
    }

    [Fact]
    public async Task The_demo_golden_image_matches_its_reference_rendering()
    {
        var golden = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        Detection[] detections =
        [
            new(0, "red", 0.97f, new BoundingBox(44, 74, 205, 175)),
            new(1, "green", 0.91f, new BoundingBox(384, 64, 505, 185)),
            new(2, "blue", 0.88f, new BoundingBox(74, 404, 255, 485)),
            new(3, "yellow", 0.42f, new BoundingBox(444, 398, 525, 539)),
        ];

        using var annotated = await RenderAsync(golden, detections, new AnnotationOptions(AnnotatedFormat.Png));
        TestArtifacts.Save("golden-annotated.png", annotated.Bytes);
        var reference = Path.Combine(RepositoryPaths.Root, "tests", "Inference.Core.Tests", "Rendering", "Reference", "golden-annotated.png");
        if (Environment.GetEnvironmentVariable("INFERENCE_UPDATE_REFERENCES") == "1")
        {
            await File.WriteAllBytesAsync(reference, annotated.Bytes.ToArray());
        }

        using var expected = _decoder.Decode(await File.ReadAllBytesAsync(reference), ImageTarget.Full, default);
        using var actual = Decode(annotated);

        // Text edges may shift by a shade between Skia builds; a moved box, a lost label or a new colour does not pass.
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        var differing = 0;
        for (var y = 0; y < expected.Height; y++)
        {
            for (var x = 0; x < expected.Width; x++)
            {
                if (Distance(expected.RgbAt(x, y), actual.RgbAt(x, y)) > 48)
                {
                    differing++;
                }
            }
        }

        Assert.True(differing <= expected.Width * expected.Height / 400, $"{differing} pixels differ from the reference rendering (at most 0.25% may).");
    }

    [Fact]
    public async Task The_renderer_refuses_a_result_for_another_image()
    {
        using var source = Plain(64, 48);
        var result = new DetectionResult(100, 100, [], NoTimings);

        await Assert.ThrowsAsync<ArgumentException>(() => Renderer().RenderAsync(TestImages.Png(source), result, new AnnotationOptions(), default));
    }

    [Fact]
    public async Task A_cancelled_render_stops()
    {
        using var source = Plain(64, 48);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Renderer().RenderAsync(TestImages.Png(source), new DetectionResult(64, 48, [], NoTimings), new AnnotationOptions(), cancelled.Token));
    }

    [Fact]
    public void Each_class_keeps_its_colour_and_neighbours_differ()
    {
        Assert.Equal(ClassPalette.For(5), ClassPalette.For(5 + ClassPalette.Count));
        var first = Enumerable.Range(0, ClassPalette.Count).Select(ClassPalette.For).ToArray();
        Assert.Equal(first.Length, first.Distinct().Count());
        Assert.Equal(SKColors.White, ClassPalette.TextOn(new SKColor(0x34, 0x45, 0xC9)));
        Assert.Equal(SKColors.Black, ClassPalette.TextOn(new SKColor(0xE7, 0xD6, 0x1B)));
    }

    [Fact]
    public void The_label_font_is_embedded()
    {
        Assert.Equal("DejaVu Sans", LabelTypeface.Typeface.FamilyName);
        Assert.True(LabelTypeface.Typeface.IsBold);
    }

    private AnnotationRenderer Renderer() => new(_decoder, new MemoryGate(2, 256L << 20));

    private async Task<AnnotatedImage> RenderAsync(byte[] image, IReadOnlyList<Detection> detections, AnnotationOptions options)
    {
        var probe = _decoder.Probe(image, ImageTarget.Full);
        return await Renderer().RenderAsync(image, new DetectionResult(probe.SourceWidth, probe.SourceHeight, detections, NoTimings), options, default);
    }

    private DecodedImage Decode(AnnotatedImage image) => _decoder.Decode(image.Bytes.ToArray(), ImageTarget.Full, default);

    private static SKEncodedImageFormat EncodedFormat(AnnotatedImage image)
    {
        using var data = SKData.CreateCopy(image.Bytes);
        using var codec = SKCodec.Create(data);
        return codec.EncodedFormat;
    }

    private static Image<Rgb24> Plain(int width, int height) => new(width, height, Grey);

    private static Rgb24 Rgb(SKColor colour) => new(colour.Red, colour.Green, colour.Blue);

    private static int Distance(Rgb24 a, Rgb24 b) => Math.Max(Math.Abs(a.R - b.R), Math.Max(Math.Abs(a.G - b.G), Math.Abs(a.B - b.B)));

    private static void AssertClose(Rgb24 expected, Rgb24 actual, int tolerance) =>
        Assert.True(Distance(expected, actual) <= tolerance, $"Expected {expected}, got {actual}.");

    private static int CountNot(DecodedImage image, Rgb24 colour, int x1, int y1, int x2, int y2) =>
        Region(x1, y1, x2, y2).Count(p => image.RgbAt(p.X, p.Y) != colour);

    private static int CountNear(DecodedImage image, Rgb24 colour, int x1, int y1, int x2, int y2, int tolerance) =>
        Region(x1, y1, Math.Min(x2, image.Width - 1), y2).Count(p => Distance(image.RgbAt(p.X, p.Y), colour) <= tolerance);

    private static IEnumerable<(int X, int Y)> Region(int x1, int y1, int x2, int y2)
    {
        for (var y = y1; y <= y2; y++)
        {
            for (var x = x1; x <= x2; x++)
            {
                yield return (x, y);
            }
        }
    }
}
