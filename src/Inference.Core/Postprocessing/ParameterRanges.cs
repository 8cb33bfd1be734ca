namespace Inference.Core.Postprocessing;

/// <summary>
/// The allowed range of each detection parameter, in one place: request parsing, programmatic options, manifest
/// defaults and API descriptions all check and state the same bounds.
/// </summary>
public static class ParameterRanges
{
    public const int MaxDetectionsLimit = 10_000;

    public const string Confidence = "a number from 0 to 1";

    public const string Iou = "a number greater than 0 and at most 1";

    public static readonly string MaxDetections = $"a whole number from 1 to {MaxDetectionsLimit}";

    public static bool IsConfidence(float value) => value is >= 0 and <= 1;

    public static bool IsIou(float value) => value is > 0 and <= 1;

    public static bool IsMaxDetections(int value) => value is >= 1 and <= MaxDetectionsLimit;
}
