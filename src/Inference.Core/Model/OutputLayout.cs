using System.Globalization;
using Inference.Core.Postprocessing;

namespace Inference.Core.Model;

/// <summary>
/// Reconciles the manifest with the model's real output shape: picks (or checks) the format, counts classes,
/// settles class names, and builds the decoder. Every mismatch is one sentence that says what disagrees.
/// </summary>
public static class OutputLayout
{
    private const int MaxEnd2EndRows = 1000;

    /// <param name="outputShape">The per-batch output shape, e.g. [1, 84, 8400].</param>
    /// <param name="metadataClassNames">Names found in the ONNX metadata, if any.</param>
    public static (IOutputDecoder Decoder, IReadOnlyList<string> ClassNames) Resolve(
        ModelManifest manifest, string outputName, IReadOnlyList<long> outputShape, IReadOnlyList<string>? metadataClassNames)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(outputShape);
        var shape = Describe(outputShape);
        if (outputShape.Count != 3)
        {
            throw new ModelLoadException($"Output '{outputName}' has shape {shape}; a detector output must be [batch, rows, columns].");
        }

        var rows = checked((int)outputShape[1]);
        var columns = checked((int)outputShape[2]);
        var names = manifest.Classes ?? metadataClassNames;
        var namesSource = manifest.Classes is not null ? "The manifest" : "The ONNX metadata";
        var format = manifest.Format ?? Detect(rows, columns, manifest);

        var (classCount, explanation) = format switch
        {
            OutputFormat.Yolov8 => (rows - 4, $"4 box rows + {rows - 4} class rows"),
            OutputFormat.Yolov5 or OutputFormat.Yolox => (columns - 5, $"4 box values + objectness + {columns - 5} class scores"),
            _ => (names?.Count ?? 0, "class ids"),
        };

        if (format == OutputFormat.End2End)
        {
            if (columns != 6)
            {
                throw new ModelLoadException($"Output '{outputName}' has shape {shape}, but the end2end format needs 6 columns (x1, y1, x2, y2, score, class).");
            }

            if (names is null)
            {
                throw new ModelLoadException($"Output '{outputName}' is end2end, which does not reveal the class count; list the classes in the manifest.");
            }
        }
        else if (classCount < 1)
        {
            throw new ModelLoadException($"Output '{outputName}' has shape {shape}, which leaves no class scores for the {Name(format)} format.");
        }
        else if (names is not null && names.Count != classCount)
        {
            throw new ModelLoadException(
                $"{namesSource} lists {names.Count} classes, but output '{outputName}' with shape {shape} holds {classCount} for the {Name(format)} format ({explanation}).");
        }

        IOutputDecoder decoder = format switch
        {
            OutputFormat.Yolov8 => new Yolov8Decoder(classCount, columns),
            OutputFormat.Yolov5 => new Yolov5Decoder(classCount, rows),
            OutputFormat.Yolox => CreateYolox(manifest, outputName, shape, rows, classCount),
            _ => new End2EndDecoder(classCount, rows),
        };

        return (decoder, names ?? Enumerable.Range(0, classCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>
    /// Guesses the layout from the shape: 6 columns and few rows is NMS-fused; more columns than rows is the
    /// channel-major YOLOv8 layout; otherwise rows equal to the YOLOX grid cell count mean YOLOX, else YOLOv5.
    /// </summary>
    public static OutputFormat Detect(int rows, int columns, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (columns == 6 && rows <= MaxEnd2EndRows)
        {
            return OutputFormat.End2End;
        }

        if (rows < columns)
        {
            return OutputFormat.Yolov8;
        }

        var (width, height) = Size(manifest);
        return rows == YoloxDecoder.CountAnchors(width, height, manifest.EffectiveStrides)
            ? OutputFormat.Yolox
            : OutputFormat.Yolov5;
    }

    private static YoloxDecoder CreateYolox(ModelManifest manifest, string outputName, string shape, int rows, int classCount)
    {
        var (width, height) = Size(manifest);
        var expected = YoloxDecoder.CountAnchors(width, height, manifest.EffectiveStrides);
        if (rows != expected)
        {
            throw new ModelLoadException(
                $"Output '{outputName}' has shape {shape}, but a {width}×{height} YOLOX input with strides " +
                $"{string.Join(", ", manifest.EffectiveStrides)} has {expected} grid cells.");
        }

        return new YoloxDecoder(classCount, width, height, manifest.EffectiveStrides);
    }

    // The loader settles the size (InputConventions.ResolveSize) before the layout is resolved.
    private static (int Width, int Height) Size(ModelManifest manifest) =>
        manifest.Input is { Width: { } width, Height: { } height }
            ? (width, height)
            : throw new ArgumentException("The manifest's input size must be resolved before its output layout.", nameof(manifest));

    public static string Name(OutputFormat format) => format switch
    {
        OutputFormat.Yolov8 => "yolov8",
        OutputFormat.Yolov5 => "yolov5",
        OutputFormat.Yolox => "yolox",
        _ => "end2end",
    };

    public static string Describe(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture))) + "]";
}
