using System.Text.Json;
using Inference.Core.Model;
using Inference.Core.Serving;
using Inference.Core.Postprocessing;
using Inference.Testing;
using Inference.DemoModel;

namespace Inference.Core.Tests.DemoModel;

/// <summary>The generated demo model finds shapes in original pixels, whatever the image's size, aspect ratio and letterbox.</summary>
public sealed class DemoModelDetectionTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    private const float MinimumIou = 0.9f;

    public static TheoryData<int, int, int> Frames => new()
    {
        { 640, 480, 1 },    // landscape, downscale-free
        { 1280, 720, 2 },   // landscape, halved
        { 1920, 1080, 3 },  // landscape, a third
        { 480, 800, 4 },    // portrait
        { 360, 1000, 5 },   // tall portrait
        { 2000, 560, 6 },   // wide panorama
        { 320, 320, 7 },    // small square, upscaled
        { 640, 640, 8 },    // exactly the input size
        { 1024, 900, 9 },
    };

    [Fact]
    public async Task Golden_image_gives_exact_boxes_with_full_confidence()
    {
        var scene = DemoModelFiles.GoldenScene();
        var result = await demo.Detector.DetectAsync(scene.RenderPng());

        Assert.Equal(scene.Shapes.Count, result.Detections.Count);
        foreach (var shape in scene.Shapes)
        {
            var match = Assert.Single(result.Detections, d => d.ClassName == shape.ClassName);
            Assert.Equal(shape.Box, match.Box);
            Assert.Equal(1f, match.Confidence, 3);
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public async Task Every_shape_is_found_in_original_pixels_with_a_centred_letterbox(int width, int height, int seed)
    {
        var scene = SceneGenerator.Random(seed, width, height, count: 6);

        var result = await demo.Detector.DetectAsync(scene.RenderPng());

        Assert.Equal((width, height), (result.Width, result.Height));
        AssertFindsExactly(scene, result.Detections);
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public async Task Every_shape_is_found_with_a_top_left_letterbox(int width, int height, int seed)
    {
        var manifest = demo.Manifest with { Input = demo.Manifest.Input with { Anchor = LetterboxAnchor.TopLeft } };
        await using var detector = await LocalDetector.LoadAsync(manifest, manifest.ResolvePath(manifest.Weights!));
        var scene = SceneGenerator.Random(seed + 100, width, height, count: 6);

        var result = await detector.DetectAsync(scene.RenderPng());

        AssertFindsExactly(scene, result.Detections);
    }

    [Fact]
    public async Task A_batch_of_mixed_sizes_maps_each_image_back_to_its_own_pixels()
    {
        var scenes = Frames.Select(row => SceneGenerator.Random((int)row[2] + 200, (int)row[0], (int)row[1], count: 5)).ToArray();

        var results = await demo.Detector.DetectAsync(scenes.Select(s => (ReadOnlyMemory<byte>)s.RenderPng()).ToArray());

        Assert.Equal(scenes.Length, results.Count);
        for (var i = 0; i < scenes.Length; i++)
        {
            Assert.Equal((scenes[i].Width, scenes[i].Height), (results[i].Width, results[i].Height));
            AssertFindsExactly(scenes[i], results[i].Detections);
        }
    }

    [Fact]
    public async Task Jpeg_compression_does_not_move_the_boxes_much()
    {
        var scene = SceneGenerator.Random(seed: 31, width: 1024, height: 768, count: 6);
        using var image = scene.Render();

        var jpeg = TestImages.Encode(image, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 85 });
        var result = await demo.Detector.DetectAsync(jpeg);

        AssertFindsExactly(scene, result.Detections);
    }

    [Theory]
    [InlineData(85)]
    [InlineData(70)]
    public async Task Jpeg_scenes_keep_a_clear_margin_above_the_default_confidence(int quality)
    {
        foreach (var (width, height, seed) in new[] { (1280, 720, 41), (480, 800, 42), (1920, 1080, 43) })
        {
            var scene = SceneGenerator.Random(seed, width, height, count: 6);
            using var image = scene.Render();

            var result = await demo.Detector.DetectAsync(TestImages.Encode(image, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = quality }), demo.Detector.Model.DefaultOptions with { Confidence = 0.01f });

            AssertFindsExactly(scene, result.Detections.Where(d => d.Confidence >= 0.25f).ToArray());
            Assert.All(result.Detections, d => Assert.True(d.Confidence >= 0.5f, $"{d.ClassName} at {d.Box} scores only {d.Confidence:0.000} at JPEG quality {quality}."));
        }
    }

    [SkippableTheory]
    [InlineData("astronaut.png")]
    [InlineData("chelsea.png")]
    [InlineData("coffee.png")]
    [InlineData("rocket.jpg")]
    public async Task On_real_photographs_nothing_comes_back_above_the_default_confidence(string photo)
    {
        Skip.IfNot(File.Exists(YoloxFixture.Photo(photo)), YoloxFixture.SkipReason);

        var result = await demo.Detector.DetectAsync(await File.ReadAllBytesAsync(YoloxFixture.Photo(photo)));

        Assert.Empty(result.Detections);
        Assert.Equal(0.25f, demo.Detector.Model.DefaultOptions.Confidence);
    }

    [Fact]
    public async Task The_committed_samples_match_their_ground_truth()
    {
        var truth = JsonSerializer.Deserialize<Dictionary<string, TruthShape[]>>(
            await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, DemoModelFiles.TruthFile)),
            JsonSerializerOptions.Web)!;

        Assert.Equal(3, truth.Count);
        foreach (var (image, shapes) in truth)
        {
            var result = await demo.Detector.DetectAsync(await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, image)));
            Assert.Equal(shapes.Length, result.Detections.Count);
            foreach (var shape in shapes)
            {
                Assert.Contains(result.Detections, d => d.ClassName == shape.Class && d.Box.IntersectionOverUnion(shape.Box) >= MinimumIou);
            }
        }
    }

    [Fact]
    public async Task The_manifest_golden_checks_pass_through_the_full_pipeline()
    {
        var results = await demo.Detector.RunGoldenChecksAsync();

        var golden = Assert.Single(results);
        Assert.True(golden.Passed, string.Join(" ", golden.Problems));
        Assert.Equal(4, golden.Actual.Count);
    }

    [Fact]
    public async Task A_golden_check_fails_and_says_why_when_the_model_disagrees()
    {
        var check = demo.Manifest.Golden[0];
        var shifted = check with
        {
            Expected = [.. check.Expected.Skip(1), check.Expected[0] with { Box = check.Expected[0].Box with { X1 = check.Expected[0].Box.X1 + 10 } }],
        };

        var problems = GoldenChecks.Compare(shifted, (await demo.Detector.RunGoldenChecksAsync())[0].Actual);

        Assert.Equal(2, problems.Count);
        Assert.StartsWith("Missing red", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("Unexpected red", problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public void The_class_names_come_from_the_manifest_and_match_the_onnx_metadata()
    {
        Assert.Equal(ShapeClasses.Names, demo.Detector.Model.ClassNames);
        Assert.Equal(OutputFormat.Yolov8, demo.Detector.Model.Format);
        Assert.Null(demo.Detector.Model.Signature.StaticBatchSize);
    }

    private static void AssertFindsExactly(Scene scene, IReadOnlyList<Detection> detections)
    {
        var description = string.Join("; ", detections.Select(d => $"{d.ClassName} {d.Confidence:0.00} {d.Box}"));
        Assert.True(scene.Shapes.Count == detections.Count, $"{scene.Shapes.Count} shapes, {detections.Count} detections: {description}");
        foreach (var shape in scene.Shapes)
        {
            var best = detections.Where(d => d.ClassName == shape.ClassName).Select(d => d.Box.IntersectionOverUnion(shape.Box)).DefaultIfEmpty(0).Max();
            Assert.True(best >= MinimumIou, $"{shape.Kind} {shape.ClassName} at {shape.Box}: best IoU {best:0.000}. Detections: {description}");
        }
    }

    private sealed record TruthShape(string Class, string Kind, BoundingBox Box);
}
