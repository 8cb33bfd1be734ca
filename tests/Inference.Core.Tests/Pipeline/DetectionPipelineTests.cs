using Inference.Core.Imaging;
using Inference.Core.Postprocessing;
using Inference.Testing;
using Inference.DemoModel;

namespace Inference.Core.Tests.Pipeline;

public sealed class DetectionPipelineTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    [Fact]
    public void A_bad_image_in_a_batch_is_reported_by_its_position()
    {
        ReadOnlyMemory<byte>[] images = [DemoModelFiles.GoldenScene().RenderPng(), "not an image"u8.ToArray(), new byte[3]];

        var failure = Assert.Throws<ImageDecodeException>(() => demo.Pipeline.Detect(images));

        Assert.Equal(1, failure.ImageIndex);
        Assert.Equal(ImageFailureReason.NotAnImage, failure.Reason);
        Assert.StartsWith("Image 1: ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_range_options_are_refused_naming_each_parameter()
    {
        var options = DetectionOptions.Default with { Confidence = 1.5f, Iou = 0, MaxDetections = 0, ClassIds = new HashSet<int> { 9 } };

        var failure = Assert.Throws<ArgumentException>(() => demo.Pipeline.Detect(DemoModelFiles.GoldenScene().RenderPng(), options));

        foreach (var name in new[] { "confidence", "iou", "max_detections", "class id 9" })
        {
            Assert.Contains(name, failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Confidence_and_class_filters_shape_the_result()
    {
        var golden = DemoModelFiles.GoldenScene().RenderPng();
        Assert.True(ClassFilter.TryParse("blue, 3", demo.Detector.ClassNames, out var ids, out _));

        var filtered = demo.Pipeline.Detect(golden, demo.Pipeline.DefaultOptions with { ClassIds = ids });
        var capped = demo.Pipeline.Detect(golden, demo.Pipeline.DefaultOptions with { MaxDetections = 2 });

        Assert.Equal(["blue", "yellow"], filtered.Detections.Select(d => d.ClassName).Order());
        Assert.Equal(2, capped.Detections.Count);
    }

    [Fact]
    public void Every_stage_is_timed()
    {
        var result = demo.Pipeline.Detect(DemoModelFiles.GoldenScene().RenderPng());

        Assert.True(result.Timings.DecodeMs > 0);
        Assert.True(result.Timings.PreprocessMs > 0);
        Assert.True(result.Timings.InferenceMs > 0);
        Assert.True(result.Timings.PostprocessMs > 0);
        Assert.Equal(result.Timings.DecodeMs + result.Timings.PreprocessMs + result.Timings.InferenceMs + result.Timings.PostprocessMs, result.Timings.TotalMs, 6);
    }

    [Theory]
    [InlineData("red,green", new[] { 0, 1 })]
    [InlineData("YELLOW", new[] { 3 })]
    [InlineData("2", new[] { 2 })]
    [InlineData(" 0 , blue ", new[] { 0, 2 })]
    public void Class_filters_accept_names_and_ids(string text, int[] expected)
    {
        Assert.True(ClassFilter.TryParse(text, ShapeClasses.Names, out var ids, out var error), error);
        Assert.Equal(expected, ids!.Order());
    }

    [Theory]
    [InlineData("purple")]
    [InlineData("4")]
    [InlineData("-1")]
    [InlineData(",")]
    public void Unknown_classes_are_refused_with_the_valid_range(string text)
    {
        Assert.False(ClassFilter.TryParse(text, ShapeClasses.Names, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
