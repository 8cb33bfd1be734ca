using Inference.Core.Model;
using Inference.Core.Postprocessing;

namespace Inference.Core.Tests.Model;

public sealed class OutputLayoutTests
{
    private static ModelManifest Manifest(int size, OutputFormat? format = null, IReadOnlyList<string>? classes = null) => new()
    {
        Name = "m",
        Version = "1",
        Format = format,
        Classes = classes,
        Input = new ModelInput { Width = size, Height = size },
    };

    [Theory]
    [InlineData(640, 84, 8400, OutputFormat.Yolov8, 80)]
    [InlineData(640, 25200, 85, OutputFormat.Yolov5, 80)]
    [InlineData(416, 3549, 85, OutputFormat.Yolox, 80)]
    [InlineData(640, 8400, 7, OutputFormat.Yolox, 2)]
    [InlineData(640, 300, 6, OutputFormat.End2End, 3)]
    public void The_format_is_detected_from_the_output_shape(int size, int rows, int columns, OutputFormat format, int classes)
    {
        var names = format == OutputFormat.End2End ? new[] { "a", "b", "c" } : null;

        var (decoder, classNames) = OutputLayout.Resolve(Manifest(size, classes: names), "output0", [1, rows, columns], null);

        Assert.Equal(format, decoder.Format);
        Assert.Equal(classes, decoder.ClassCount);
        Assert.Equal(classes, classNames.Count);
    }

    [Fact]
    public void Metadata_names_are_used_and_the_manifest_overrides_them()
    {
        var fromMetadata = OutputLayout.Resolve(Manifest(640), "o", [1, 6, 8400], ["cat", "dog"]).ClassNames;
        var fromManifest = OutputLayout.Resolve(Manifest(640, classes: ["kitten", "puppy"]), "o", [1, 6, 8400], ["cat", "dog"]).ClassNames;
        var numbered = OutputLayout.Resolve(Manifest(640), "o", [1, 6, 8400], null).ClassNames;

        Assert.Equal(["cat", "dog"], fromMetadata);
        Assert.Equal(["kitten", "puppy"], fromManifest);
        Assert.Equal(["0", "1"], numbered);
    }

    [Theory]
    [InlineData(OutputFormat.Yolov8, new long[] { 1, 84, 8400 }, 3, "The manifest lists 3 classes, but output 'output0' with shape [1, 84, 8400] holds 80 for the yolov8 format (4 box rows + 80 class rows).")]
    [InlineData(OutputFormat.Yolov5, new long[] { 1, 25200, 85 }, 3, "The manifest lists 3 classes, but output 'output0' with shape [1, 25200, 85] holds 80 for the yolov5 format")]
    [InlineData(OutputFormat.Yolox, new long[] { 1, 3549, 85 }, 80, "Output 'output0' has shape [1, 3549, 85], but a 640×640 YOLOX input with strides 8, 16, 32 has 8400 grid cells.")]
    [InlineData(OutputFormat.End2End, new long[] { 1, 300, 7 }, 3, "end2end format needs 6 columns")]
    [InlineData(OutputFormat.Yolov8, new long[] { 1, 8400 }, 3, "a detector output must be [batch, rows, columns]")]
    [InlineData(OutputFormat.Yolov8, new long[] { 1, 4, 8400 }, 0, "leaves no class scores")]
    public void A_mismatch_fails_with_a_sentence_that_says_what_disagrees(OutputFormat format, long[] shape, int classCount, string expected)
    {
        var classes = classCount == 0 ? null : Enumerable.Range(0, classCount).Select(i => $"c{i}").ToArray();

        var failure = Assert.Throws<ModelLoadException>(() => OutputLayout.Resolve(Manifest(640, format, classes), "output0", shape, null));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void End2end_without_class_names_is_refused()
    {
        var failure = Assert.Throws<ModelLoadException>(() => OutputLayout.Resolve(Manifest(640), "dets", [1, 100, 6], null));

        Assert.Contains("list the classes in the manifest", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_resolved_decoder_knows_its_output_length()
    {
        var (decoder, _) = OutputLayout.Resolve(Manifest(416), "output", [1, 3549, 85], null);

        Assert.IsType<YoloxDecoder>(decoder);
        Assert.Equal(3549 * 85, decoder.OutputLength);
    }
}
