using Inference.Core.Serving;
using Inference.Core.Postprocessing;

namespace Inference.Core.Contracts;

/// <summary>One image's answer. Several images in one request are answered as a JSON array of these.</summary>
public sealed record DetectionResponse(ModelSummary Model, ImageSize Image, IReadOnlyList<DetectedObject> Detections, StageTimingsMs Timings)
{
    /// <summary>The one place a detection result becomes the wire answer, for every front end.</summary>
    public static DetectionResponse From(ModelSummary model, DetectionResult result, double totalMs)
    {
        ArgumentNullException.ThrowIfNull(result);
        var t = result.Timings;
        var detections = new DetectedObject[result.Detections.Count];
        for (var i = 0; i < detections.Length; i++)
        {
            detections[i] = DetectedObject.From(result.Detections[i]);
        }

        return new DetectionResponse(
            model,
            new ImageSize(result.Width, result.Height),
            detections,
            new StageTimingsMs(Round(t.DecodeMs), Round(t.PreprocessMs), Round(t.QueueMs), Round(t.InferenceMs), Round(t.PostprocessMs), Round(totalMs), t.BatchSize));
    }

    private static double Round(double milliseconds) => Math.Round(milliseconds, 3);
}

public sealed record ModelSummary(string Name, string Version, string Sha256);

public sealed record ImageSize(int Width, int Height);

/// <summary>A detection: <c>class</c>, <c>class_id</c>, <c>confidence</c> and a box in original-image pixels.</summary>
public sealed record DetectedObject(string Class, int ClassId, float Confidence, BoundingBox Box)
{
    public static DetectedObject From(Postprocessing.Detection detection)
    {
        ArgumentNullException.ThrowIfNull(detection);
        return new(detection.ClassName, detection.ClassId, detection.Confidence, detection.Box);
    }
}

/// <summary>Milliseconds per stage. Inference is the shared batch's run time; total is this image's wall time.</summary>
public sealed record StageTimingsMs(double DecodeMs, double PreprocessMs, double QueueMs, double InferenceMs, double PostprocessMs, double TotalMs, int BatchSize);

/// <summary>The wire format every front end (HTTP service, Lambda) writes: snake_case names, absent values left out.</summary>
public static class DetectionJson
{
    public static System.Text.Json.JsonSerializerOptions Options { get; } = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
