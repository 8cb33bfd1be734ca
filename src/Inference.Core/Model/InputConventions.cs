using System.Globalization;

namespace Inference.Core.Model;

/// <summary>The input exactly as the model runs it: size and every preprocessing convention settled.</summary>
public sealed record InputSpec
{
    public required int Width { get; init; }

    public required int Height { get; init; }

    public required ChannelOrder ChannelOrder { get; init; }

    public required PixelScale PixelScale { get; init; }

    public required LetterboxAnchor Anchor { get; init; }

    /// <summary>Letterbox fill, in 0–255 units whatever the pixel scale.</summary>
    public required byte PadValue { get; init; }

    /// <summary>The input tensor's name, once a session is known.</summary>
    public string? Tensor { get; init; }
}

/// <summary>A value the manifest left out, what it became and what decided it: shown by the load log and <c>/v1/model</c>.</summary>
public sealed record DefaultedValue(string Field, string Value, string From);

/// <summary>The preprocessing a family of exports was trained with.</summary>
public sealed record FormatConventions(OutputFormat Format, ChannelOrder ChannelOrder, PixelScale PixelScale, LetterboxAnchor Anchor, byte PadValue, string Family);

/// <summary>
/// Settles what a manifest leaves out of its input, from context and never by guessing: the size from the model
/// (its fixed input shape, else Ultralytics' <c>imgsz</c> metadata), and the conventions from the detected format.
/// Ultralytics-style layouts (yolov8, yolov5, end2end; Ultralytics and Roboflow exports) take RGB, 0–1, a centred
/// letterbox and pad 114; Megvii's YOLOX takes BGR, raw 0–255, a top-left letterbox and pad 114. Each result lists
/// what was defaulted and from what, for the load log and <c>/v1/model</c>.
/// </summary>
public static class InputConventions
{
    public const byte DefaultPadValue = 114;

    /// <summary>Every format's conventions, in the order the README's table lists them.</summary>
    public static IReadOnlyList<FormatConventions> Table { get; } =
    [
        new(OutputFormat.Yolov8, ChannelOrder.Rgb, PixelScale.Unit, LetterboxAnchor.Center, DefaultPadValue, "Ultralytics YOLOv8/YOLO11, Roboflow exports"),
        new(OutputFormat.Yolov5, ChannelOrder.Rgb, PixelScale.Unit, LetterboxAnchor.Center, DefaultPadValue, "Ultralytics YOLOv5"),
        new(OutputFormat.End2End, ChannelOrder.Rgb, PixelScale.Unit, LetterboxAnchor.Center, DefaultPadValue, "NMS-fused exports (YOLOv10, nms=True)"),
        new(OutputFormat.Yolox, ChannelOrder.Bgr, PixelScale.Raw, LetterboxAnchor.TopLeft, DefaultPadValue, "Megvii YOLOX"),
    ];

    public static FormatConventions Of(OutputFormat format) => Table.First(c => c.Format == format);

    /// <summary>The format's own conventions at a given size, with nothing taken from a manifest.</summary>
    public static InputSpec For(OutputFormat format, int width, int height) =>
        Resolve(new ModelInput { Width = width, Height = height }, format).Input;

    /// <summary>
    /// The size the model runs at: the manifest's, else the model's fixed input dimensions, else its <c>imgsz</c>
    /// metadata. A model with a dynamic input and no <c>imgsz</c> needs the size in the manifest.
    /// </summary>
    /// <param name="inputDimensions">The input's [batch, channels, height, width]; dynamic dimensions are ≤ 0.</param>
    public static (int Width, int Height, IReadOnlyList<DefaultedValue> Defaulted) ResolveSize(
        ModelInput declared, string inputName, IReadOnlyList<long> inputDimensions, OnnxModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(declared);
        ArgumentNullException.ThrowIfNull(inputDimensions);
        ArgumentNullException.ThrowIfNull(metadata);
        if (declared is { Width: { } width, Height: { } height })
        {
            return (width, height, []);
        }

        var shape = OutputLayout.Describe(inputDimensions);
        if (inputDimensions is [_, _, > 0 and var fixedHeight, > 0 and var fixedWidth])
        {
            var from = $"the fixed shape {shape} of input '{inputName}'";
            return ((int)fixedWidth, (int)fixedHeight, Sized((int)fixedWidth, (int)fixedHeight, from));
        }

        if (metadata.ImageSize is { } size)
        {
            var from = $"the ONNX metadata imgsz {metadata.Raw[OnnxModelMetadata.ImageSizeKey]}";
            return (size.Width, size.Height, Sized(size.Width, size.Height, from));
        }

        throw new ModelLoadException(
            $"Input '{inputName}' has the dynamic shape {shape} and the model carries no imgsz metadata, so its size is unknown: set 'input.width' and 'input.height' in the manifest.");
    }

    /// <summary>The declared conventions, with every missing one taken from <paramref name="format"/>.</summary>
    public static (InputSpec Input, IReadOnlyList<DefaultedValue> Defaulted) Resolve(ModelInput declared, OutputFormat format)
    {
        ArgumentNullException.ThrowIfNull(declared);
        var conventions = Of(format);
        var from = $"the {OutputLayout.Name(format)} format";
        var defaulted = new List<DefaultedValue>();
        T Take<T>(T? value, T fallback, string field, Func<T, string> describe)
            where T : struct
        {
            if (value is { } given)
            {
                return given;
            }

            defaulted.Add(new DefaultedValue(field, describe(fallback), from));
            return fallback;
        }

        var input = new InputSpec
        {
            Width = declared.Width ?? throw new ArgumentException("The input size must be resolved first.", nameof(declared)),
            Height = declared.Height ?? throw new ArgumentException("The input size must be resolved first.", nameof(declared)),
            ChannelOrder = Take(declared.ChannelOrder, conventions.ChannelOrder, "input.channelOrder", ManifestEnums.Name),
            PixelScale = Take(declared.PixelScale, conventions.PixelScale, "input.pixelScale", ManifestEnums.Name),
            Anchor = Take(declared.Anchor, conventions.Anchor, "input.anchor", ManifestEnums.Name),
            PadValue = Take(declared.PadValue, conventions.PadValue, "input.padValue", v => v.ToString(CultureInfo.InvariantCulture)),
            Tensor = declared.Tensor,
        };
        return (input, defaulted);
    }

    private static DefaultedValue[] Sized(int width, int height, string from) =>
    [
        new("input.width", width.ToString(CultureInfo.InvariantCulture), from),
        new("input.height", height.ToString(CultureInfo.InvariantCulture), from),
    ];
}
