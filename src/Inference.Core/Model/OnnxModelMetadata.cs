using System.Globalization;

namespace Inference.Core.Model;

/// <summary>
/// What an ONNX file says about itself in its custom metadata. Ultralytics exports write <c>names</c> (a Python dict
/// literal), <c>imgsz</c> (<c>[640, 640]</c>, height then width), <c>stride</c> (the largest grid stride) and
/// <c>task</c> (<c>detect</c>, <c>segment</c>, <c>pose</c>…); other exporters may write some, or none. A value that
/// does not parse is ignored here and shown raw by <c>inference model inspect</c>.
/// </summary>
public sealed record OnnxModelMetadata(
    IReadOnlyDictionary<string, string> Raw,
    IReadOnlyList<string>? Names,
    (int Width, int Height)? ImageSize,
    int? Stride,
    string? Task)
{
    public const string NamesKey = OnnxClassNames.MetadataKey;
    public const string ImageSizeKey = "imgsz";
    public const string StrideKey = "stride";
    public const string TaskKey = "task";

    /// <summary>The one Ultralytics task this service serves.</summary>
    public const string DetectTask = "detect";

    public static OnnxModelMetadata Read(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return new OnnxModelMetadata(
            metadata,
            OnnxClassNames.FromMetadata(metadata),
            metadata.TryGetValue(ImageSizeKey, out var imgsz) ? ParseImageSize(imgsz) : null,
            metadata.TryGetValue(StrideKey, out var stride) && int.TryParse(stride.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : null,
            metadata.TryGetValue(TaskKey, out var task) && task.Trim().Length > 0 ? task.Trim() : null);
    }

    /// <summary>
    /// Refuses what the metadata proves this service cannot serve: another task than detection, or an input size
    /// that is not a multiple of the model's stride (its grid would not line up).
    /// </summary>
    public void Check(int width, int height)
    {
        if (Task is { } task && !string.Equals(task, DetectTask, StringComparison.Ordinal))
        {
            throw new ModelLoadException(
                $"The ONNX metadata says task '{task}'; this service serves detection models (task '{DetectTask}'). Export a detection model instead.");
        }

        if (Stride is { } stride && (width % stride != 0 || height % stride != 0))
        {
            throw new ModelLoadException(
                $"The input {width}×{height} is not a multiple of the model's stride {stride} (ONNX metadata 'stride'); use a size such as {RoundUp(width, stride)}×{RoundUp(height, stride)}.");
        }
    }

    // "[640, 640]" (height, width), "(640, 640)", or one number for a square.
    private static (int Width, int Height)? ParseImageSize(string text)
    {
        var parts = text.Trim().Trim('[', ']', '(', ')').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var numbers = new List<int>(2);
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            {
                return null;
            }

            numbers.Add(n);
        }

        return numbers switch
        {
            [var side] => (side, side),
            [var h, var w] => (w, h),
            _ => null,
        };
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
