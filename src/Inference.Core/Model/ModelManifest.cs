using System.Text.Json;
using System.Text.Json.Serialization;
using Inference.Core.Postprocessing;

namespace Inference.Core.Model;

/// <summary>
/// Everything the pipeline must know that the ONNX file does not say. One small JSON file next to each model;
/// the service, the registry, the CLI and the Lambda all read this one type.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>The JSON Schema editors check the file against (<c>models/manifest.schema.json</c>); ignored at load.</summary>
    [JsonPropertyName("$schema")]
    [JsonPropertyOrder(-1)]
    public string? Schema { get; init; }

    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary>Output layout; detected from the output shape when absent.</summary>
    public OutputFormat? Format { get; init; }

    /// <summary>Input size and conventions; whatever it leaves out follows the model and its format (<see cref="InputConventions"/>).</summary>
    public ModelInput Input { get; init; } = new();

    /// <summary>Class names in output order. Overrides names found in the ONNX metadata.</summary>
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>SHA-256 of the weights file, lower-case hex. Verified at load when present.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Path of the weights relative to the manifest, used when no explicit model path is configured.</summary>
    public string? Weights { get; init; }

    /// <summary>Name of the output tensor to decode; the first output when absent.</summary>
    public string? Output { get; init; }

    /// <summary>Grid strides for the <c>yolox</c> layout, finest first; 8, 16, 32 when absent.</summary>
    public IReadOnlyList<int>? Strides { get; init; }

    [JsonIgnore]
    public IReadOnlyList<int> EffectiveStrides => Strides ?? DefaultStrides;

    private static readonly int[] DefaultStrides = [8, 16, 32];

    /// <summary>Defaults a request gets when it does not set its own thresholds.</summary>
    public PostprocessDefaults Postprocess { get; init; } = new();

    /// <summary>Images with the detections they must give; run by the golden health check.</summary>
    public IReadOnlyList<GoldenCheck> Golden { get; init; } = [];

    /// <summary>Directory that relative paths (weights, golden images) resolve against.</summary>
    [JsonIgnore]
    public string BaseDirectory { get; init; } = ".";

    public string ResolvePath(string relativeOrAbsolute) => Path.GetFullPath(relativeOrAbsolute, Path.GetFullPath(BaseDirectory));

    /// <summary>Manifests are small; a bigger file is not one, and is not read into memory.</summary>
    public const long MaxBytes = 1 << 20;

    public static ModelManifest Load(string path)
    {
        string json;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxBytes)
            {
                throw new ModelLoadException($"The model manifest '{path}' is {length} bytes; a manifest is at most {MaxBytes}.");
            }

            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"The model manifest '{path}' could not be read: {ex.Message}", ex);
        }

        return Parse(json, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", path);
    }

    /// <summary>
    /// Parses strictly: unknown fields (with the closest valid name), enums written as numbers, wrong types and
    /// out-of-range values are each one sentence naming their JSON path, and all of them are reported at once.
    /// </summary>
    public static ModelManifest Parse(string json, string baseDirectory = ".", string source = "manifest")
    {
        var (manifest, problems) = ManifestReader.Read(json);
        if (manifest is not null)
        {
            problems = [.. problems, .. manifest.Validate()];
        }

        if (problems.Count > 0 || manifest is null)
        {
            throw new ModelLoadException($"The model manifest '{source}' is not valid: {string.Join(" ", problems)}", problems);
        }

        return manifest with { BaseDirectory = baseDirectory };
    }

    public string ToJson() => JsonSerializer.Serialize(this, ManifestJson.Options);

    /// <summary>The rules a JSON Schema cannot say well; each problem is a sentence naming its JSON path.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add("'$.name' must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(Version))
        {
            problems.Add("'$.version' must not be empty.");
        }

        if (Input.Width is <= 0)
        {
            problems.Add($"'$.input.width' must be positive (got {Input.Width}).");
        }

        if (Input.Height is <= 0)
        {
            problems.Add($"'$.input.height' must be positive (got {Input.Height}).");
        }

        if ((Input.Width is null) != (Input.Height is null))
        {
            problems.Add("'$.input.width' and '$.input.height' go together: give both, or neither to take the model's own size.");
        }

        if (Classes is { } classes)
        {
            for (var i = 0; i < classes.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(classes[i]))
                {
                    problems.Add($"'$.classes[{i}]' must not be empty.");
                }
            }
        }

        if (Sha256 is { } sha && !Model.Sha256.IsValidHex(sha))
        {
            problems.Add($"'$.sha256' must be 64 hexadecimal characters (got '{sha}').");
        }

        if (Strides is { } strides && (strides.Count == 0 || strides.Any(s => s <= 0)))
        {
            problems.Add("'$.strides' must list positive integers.");
        }

        problems.AddRange(Postprocess.Validate());
        for (var i = 0; i < Golden.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Golden[i].Image))
            {
                problems.Add($"'$.golden[{i}].image' must name an image file.");
            }
        }

        return problems;
    }
}

[JsonConverter(typeof(ManifestEnumConverter<OutputFormat>))]
public enum OutputFormat
{
    /// <summary>Ultralytics YOLOv8/YOLO11 and Roboflow exports: [N, 4+C, A], cx cy w h in input pixels, then class scores.</summary>
    [JsonStringEnumMemberName("yolov8")]
    Yolov8,

    /// <summary>YOLOv5: [N, A, 5+C], cx cy w h, objectness, class scores.</summary>
    [JsonStringEnumMemberName("yolov5")]
    Yolov5,

    /// <summary>YOLOX: [N, A, 5+C] raw grid offsets that need stride decoding, objectness, class scores.</summary>
    [JsonStringEnumMemberName("yolox")]
    Yolox,

    /// <summary>NMS-fused exports: [N, K, 6], x1 y1 x2 y2 score class.</summary>
    [JsonStringEnumMemberName("end2end")]
    End2End,
}

[JsonConverter(typeof(ManifestEnumConverter<ChannelOrder>))]
public enum ChannelOrder
{
    [JsonStringEnumMemberName("rgb")]
    Rgb,

    [JsonStringEnumMemberName("bgr")]
    Bgr,
}

[JsonConverter(typeof(ManifestEnumConverter<PixelScale>))]
public enum PixelScale
{
    /// <summary>Pixel values divided by 255.</summary>
    [JsonStringEnumMemberName("0-1")]
    Unit,

    /// <summary>Raw 0–255 values, as YOLOX expects.</summary>
    [JsonStringEnumMemberName("0-255")]
    Raw,
}

[JsonConverter(typeof(ManifestEnumConverter<LetterboxAnchor>))]
public enum LetterboxAnchor
{
    /// <summary>Content centred, padding split on both sides (Ultralytics).</summary>
    [JsonStringEnumMemberName("center")]
    Center,

    /// <summary>Content at the top-left, padding right and bottom (YOLOX).</summary>
    [JsonStringEnumMemberName("topLeft")]
    TopLeft,
}

/// <summary>
/// How an image becomes the model's input tensor, as the manifest declares it. Every field is optional: a missing
/// size comes from the model (a fixed input shape, else Ultralytics' <c>imgsz</c> metadata) and missing conventions
/// from the detected format; <see cref="InputConventions"/> settles them and says what it defaulted and why.
/// </summary>
public sealed record ModelInput
{
    public int? Width { get; init; }

    public int? Height { get; init; }

    public ChannelOrder? ChannelOrder { get; init; }

    public PixelScale? PixelScale { get; init; }

    public LetterboxAnchor? Anchor { get; init; }

    /// <summary>Letterbox fill, in 0–255 units whatever the pixel scale.</summary>
    public byte? PadValue { get; init; }

    /// <summary>Name of the image input tensor; the first input when absent.</summary>
    public string? Tensor { get; init; }
}

/// <summary>Per-model defaults for request parameters.</summary>
public sealed record PostprocessDefaults
{
    public float Confidence { get; init; } = 0.25f;

    public float Iou { get; init; } = 0.45f;

    public bool Agnostic { get; init; }

    public int MaxDetections { get; init; } = 300;

    public IEnumerable<string> Validate()
    {
        if (!ParameterRanges.IsConfidence(Confidence))
        {
            yield return $"'$.postprocess.confidence' must be {ParameterRanges.Confidence} (got {Confidence}).";
        }

        if (!ParameterRanges.IsIou(Iou))
        {
            yield return $"'$.postprocess.iou' must be {ParameterRanges.Iou} (got {Iou}).";
        }

        if (!ParameterRanges.IsMaxDetections(MaxDetections))
        {
            yield return $"'$.postprocess.maxDetections' must be {ParameterRanges.MaxDetections} (got {MaxDetections}).";
        }
    }
}

/// <summary>An image and the detections the model must give on it, within tolerances.</summary>
public sealed record GoldenCheck
{
    /// <summary>Image path relative to the manifest.</summary>
    public required string Image { get; init; }

    public required IReadOnlyList<ExpectedDetection> Expected { get; init; }

    /// <summary>Largest allowed difference of each box edge, in original pixels.</summary>
    public float BoxTolerance { get; init; } = 3;

    public float ConfidenceTolerance { get; init; } = 0.05f;

    /// <summary>Confidence threshold the check runs with; the model default when absent.</summary>
    public float? Confidence { get; init; }
}

public sealed record ExpectedDetection(string Class, float Confidence, BoundingBox Box);

internal static class ManifestJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,

        // Field names are exact: 'Width' is a typo the reader names, not a second spelling.
        PropertyNameCaseInsensitive = false,
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,

        // The reader walks this contract (GetTypeInfo) before anything is deserialized.
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };
}
