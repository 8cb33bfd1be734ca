using System.Globalization;
using Onnx;
using Inference.Core.Onnx;
using static Inference.Core.Onnx.OnnxGraphBuilder;

namespace Inference.DemoModel;

/// <summary>
/// Builds a real ONNX detector, in the YOLOv8 output layout with a dynamic batch, for images of solid coloured
/// shapes (axis-aligned rectangles and ellipses) on a plain grey-ish background. No weights are learned: the
/// graph measures shapes directly.
/// <list type="number">
/// <item>A 1×1 convolution and a min-reduction classify each pixel's colour; a second 1×1 convolution turns the
/// class masks into one label map (0 = background).</item>
/// <item>Along every anchor row, the run of equal labels to the left and to the right of each pixel is counted
/// by pointer doubling (ten shift-and-add steps cover 1024 pixels); along every anchor column, up and down.
/// Those four runs are the box edges of the shape under the anchor.</item>
/// <item>Anchors sit every 8 pixels. An anchor scores for its colour class by how close it is to the centre of its
/// box, (1 − |dx|/16)·(1 − |dy|/16), so exactly the anchors near a shape's centre compete and NMS keeps one.</item>
/// </list>
/// </summary>
public static class ShapesDetectorGraph
{
    public const int InputSize = 640;
    public const int Stride = 8;
    public const int AnchorOffset = Stride / 2;
    public const int GridSize = InputSize / Stride;
    public const int AnchorCount = GridSize * GridSize;
    public const float CentreFalloff = 2 * Stride;
    public const float MinimumSide = 4;

    /// <summary>How far (in 0–1 units, any channel) a pixel near the anchor may stray from its class's exact colour before the score reaches 0.</summary>
    public const float ColourTolerance = 0.1f;

    /// <summary>The window of pixels around an anchor that must all be of the class's exact colour: 5×5.</summary>
    public const int PurityWindow = 5;

    public const int Opset = 13;

    private const int DoublingSteps = 10; // 2^10 = 1024 ≥ 640
    private const int HeightAxis = 2;
    private const int WidthAxis = 3;

    public static int ClassCount => ShapeClasses.All.Count;

    /// <param name="staticBatch">Fix the batch dimension, as many real exports do; dynamic when null.</param>
    public static ModelProto Build(int? staticBatch = null)
    {
        object batch = staticBatch is { } fixedBatch ? fixedBatch : "batch";
        var g = new OnnxGraphBuilder("shapes_detector");
        var images = g.Input("images", batch, 3, InputSize, InputSize);

        var one = g.Scalar(1);
        var half = g.Scalar(0.5f);

        // Only anchor rows are needed for horizontal runs and anchor columns for vertical ones: 1/8 of the pixels each.
        var anchorRows = Sample(g, images, HeightAxis);
        var anchorColumns = Sample(g, images, WidthAxis);

        var (rowMasks, rowLabels) = ClassifyColours(g, anchorRows, GridSize, InputSize);
        var (_, columnLabels) = ClassifyColours(g, anchorColumns, InputSize, GridSize);

        var (left, right) = Runs(g, rowLabels, WidthAxis, InputSize, one, half);
        var (up, down) = Runs(g, columnLabels, HeightAxis, InputSize, one, half);

        left = Sample(g, left, WidthAxis);
        right = Sample(g, right, WidthAxis);
        up = Sample(g, up, HeightAxis);
        down = Sample(g, down, HeightAxis);
        var classMasks = Sample(g, rowMasks, WidthAxis);

        var gridX = g.Floats(Enumerable.Range(0, GridSize).Select(i => (float)((i * Stride) + AnchorOffset)).ToArray(), 1, 1, 1, GridSize);
        var gridY = g.Floats(Enumerable.Range(0, GridSize).Select(i => (float)((i * Stride) + AnchorOffset)).ToArray(), 1, 1, GridSize, 1);

        // Pixel-edge box of the run through anchor pixel p: [p − left + 1, p + right).
        var (cx, width, dx) = Extent(g, gridX, left, right, one, half);
        var (cy, height, dy) = Extent(g, gridY, up, down, one, half);

        var falloff = g.Scalar(1f / CentreFalloff);
        var weightX = g.Node("Relu", [g.Node("Sub", [one, g.Node("Mul", [g.Node("Abs", [dx]), falloff])])]);
        var weightY = g.Node("Relu", [g.Node("Sub", [one, g.Node("Mul", [g.Node("Abs", [dy]), falloff])])]);
        var minimumSide = g.Scalar(MinimumSide - 0.5f);
        var bigEnough = Cast(g, g.Node("Greater", [g.Node("Min", [width, height]), minimumSide]));
        var centrality = g.Node("Mul", [g.Node("Mul", [weightX, weightY]), bigEnough]);
        var scores = g.Node("Mul", [g.Node("Mul", [classMasks, centrality]), Purity(g, images, one)]);

        var stacked = g.Node("Concat", [cx, cy, width, height, scores], IntAttribute("axis", 1));
        var outputShape = g.Int64s(0, 4 + ClassCount, AnchorCount);
        g.NodeNamed("Reshape", "output0", [stacked, outputShape]);
        g.Output("output0", batch, 4 + ClassCount, AnchorCount);

        var names = "{" + string.Join(", ", ShapeClasses.Names.Select((n, i) => string.Create(CultureInfo.InvariantCulture, $"{i}: '{n}'"))) + "}";
        return g.Build(
            Opset,
            "inference-demo-model",
            "Detects solid coloured rectangles and ellipses by measuring them; see tools/Inference.DemoModel.",
            new Dictionary<string, string> { ["names"] = names, ["stride"] = Stride.ToString(CultureInfo.InvariantCulture), ["imgsz"] = $"[{InputSize}, {InputSize}]" });
    }

    /// <summary>
    /// Per class and anchor, 1 when every pixel of the 5×5 window around the anchor has exactly the class's colour,
    /// falling linearly to 0 as the farthest of them strays by <see cref="ColourTolerance"/> in any channel. The demo's
    /// shapes are flat, so their centres score 1; a photograph's reddish or bluish patch is never that exact, which
    /// keeps the demo model quiet on real pictures.
    /// </summary>
    private static string Purity(OnnxGraphBuilder g, string images, string one)
    {
        var classes = ShapeClasses.All;
        var identity = new float[classes.Count * 3 * 3];
        var canonical = new float[classes.Count * 3];
        for (var c = 0; c < classes.Count; c++)
        {
            var colour = classes[c].Colour;
            for (var channel = 0; channel < 3; channel++)
            {
                identity[(((c * 3) + channel) * 3) + channel] = 1;
            }

            canonical[c * 3] = -colour.R / 255f;
            canonical[(c * 3) + 1] = -colour.G / 255f;
            canonical[(c * 3) + 2] = -colour.B / 255f;
        }

        // The windows start 2 px before each anchor, so crop 2 px first and pool 5×5 with stride 8. Per channel, the
        // farthest pixel from a colour is the window's maximum or its minimum, so two pools of the image suffice.
        var offset = AnchorOffset - (PurityWindow / 2);
        var cropped = g.Node("Slice", [images, g.Int64s(offset, offset), g.Int64s(InputSize, InputSize), g.Int64s(HeightAxis, WidthAxis)]);
        var window = new[] { IntsAttribute("kernel_shape", PurityWindow, PurityWindow), IntsAttribute("strides", Stride, Stride) };
        var highest = g.Node("MaxPool", [cropped], window);
        var negatedLowest = g.Node("MaxPool", [g.Node("Neg", [cropped])], window);
        var negatedCanonical = canonical.Select(v => -v).ToArray();
        var above = g.Node("Conv", [highest, g.Floats(identity, classes.Count * 3, 3, 1, 1), g.Floats(canonical, classes.Count * 3)]);
        var below = g.Node("Conv", [negatedLowest, g.Floats(identity, classes.Count * 3, 3, 1, 1), g.Floats(negatedCanonical, classes.Count * 3)]);
        var grouped = g.Node("Reshape", [g.Node("Max", [above, below]), g.Int64s(0, classes.Count, 3, GridSize, GridSize)]);
        var windows = g.Node("ReduceMax", [grouped], IntsAttribute("axes", 2), IntAttribute("keepdims", 0));

        // Half a grey level of float rounding still counts as exact, so a flat shape scores exactly 1.
        var stray = g.Node("Relu", [g.Node("Sub", [windows, g.Scalar(0.5f / 255f)])]);
        return g.Node("Relu", [g.Node("Sub", [one, g.Node("Mul", [stray, g.Scalar(1f / ColourTolerance)])])]);
    }

    /// <summary>Every 8th row or column, starting at the anchor offset.</summary>
    private static string Sample(OnnxGraphBuilder g, string input, int axis) => g.Node(
        "Slice",
        [input, g.Int64s(AnchorOffset), g.Int64s(InputSize),
         g.Int64s(axis), g.Int64s(Stride)]);

    /// <summary>Per-class masks [N, C, h, w] and the label map [N, 1, h, w] holding class index + 1.</summary>
    private static (string Masks, string Labels) ClassifyColours(OnnxGraphBuilder g, string pixels, int height, int width)
    {
        var classes = ShapeClasses.All;
        var tests = classes.SelectMany(c => c.ResolvedTests().Concat(Enumerable.Repeat(new ColourTest(0, 0, 0, 1), ShapeClasses.TestsPerClass - c.Tests.Count))).ToArray();
        var weights = g.Floats(tests.SelectMany(t => new[] { t.R, t.G, t.B }).ToArray(), tests.Length, 3, 1, 1);
        var bias = g.Floats(tests.Select(t => t.Bias).ToArray(), tests.Length);
        var margins = g.Node("Conv", [pixels, weights, bias]);
        var grouped = g.Node("Reshape", [margins, g.Int64s(0, classes.Count, ShapeClasses.TestsPerClass, height, width)]);
        var weakest = g.Node("ReduceMin", [grouped], IntsAttribute("axes", 2), IntAttribute("keepdims", 0));
        var masks = Cast(g, g.Node("Greater", [weakest, g.Scalar(0)]));
        var labelWeights = g.Floats(Enumerable.Range(1, classes.Count).Select(i => (float)i).ToArray(), 1, classes.Count, 1, 1);
        return (masks, g.Node("Conv", [masks, labelWeights]));
    }

    /// <summary>Inclusive run lengths of equal, non-background labels before and after each pixel along an axis.</summary>
    private static (string Before, string After) Runs(OnnxGraphBuilder g, string labels, int axis, int size, string one, string half)
    {
        var foreground = Cast(g, g.Node("Greater", [labels, half]));
        var previous = Shift(g, labels, axis, size, 1);
        var sameAsPrevious = Cast(g, g.Node("Less", [g.Node("Abs", [g.Node("Sub", [labels, previous])]), half]));
        var joinsPrevious = g.Node("Mul", [sameAsPrevious, foreground]);
        var joinsNext = Shift(g, joinsPrevious, axis, size, -1);

        var before = g.Node("Mul", [foreground, g.Node("Add", [Double(g, joinsPrevious, axis, size, 1), one])]);
        var after = g.Node("Mul", [foreground, g.Node("Add", [Double(g, joinsNext, axis, size, -1), one])]);
        return (before, after);
    }

    /// <summary>
    /// Counts consecutive ones ending at each position (direction +1) or starting there (−1):
    /// A ← A + [A = 2^k]·shift(A, 2^k) for k = 0…9.
    /// </summary>
    private static string Double(OnnxGraphBuilder g, string ones, int axis, int size, int direction)
    {
        var runs = ones;
        for (var k = 0; k < DoublingSteps; k++)
        {
            var distance = 1 << k;
            var full = Cast(g, g.Node("Equal", [runs, g.Scalar(distance)]));
            runs = g.Node("Add", [runs, g.Node("Mul", [full, Shift(g, runs, axis, size, direction * distance)])]);
        }

        return runs;
    }

    /// <summary>The value from <paramref name="offset"/> positions earlier (positive) or later (negative); zero past the edge.</summary>
    private static string Shift(OnnxGraphBuilder g, string input, int axis, int size, int offset)
    {
        var distance = Math.Abs(offset);
        var pads = new long[8];
        pads[offset > 0 ? axis : axis + 4] = distance;
        var padded = g.Node("Pad", [input, g.Int64s(pads)]);
        var start = offset > 0 ? 0 : distance;
        return g.Node(
            "Slice",
            [padded, g.Int64s(start), g.Int64s(start + size),
             g.Int64s(axis)]);
    }

    /// <summary>Centre, length and the anchor's offset from the centre, from the runs before and after the anchor.</summary>
    private static (string Centre, string Length, string Offset) Extent(OnnxGraphBuilder g, string anchor, string before, string after, string one, string half)
    {
        var length = g.Node("Sub", [g.Node("Add", [before, after]), one]);
        var skew = g.Node("Sub", [after, before]);
        var offset = g.Node("Mul", [skew, half]);
        var centre = g.Node("Add", [anchor, g.Node("Mul", [g.Node("Add", [skew, one]), half])]);
        return (centre, length, offset);
    }

    private static string Cast(OnnxGraphBuilder g, string input) =>
        g.Node("Cast", [input], IntAttribute("to", (long)TensorProto.Types.DataType.Float));
}
