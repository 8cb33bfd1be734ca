using Inference.Core.Serving;

namespace Inference.Api.Compat.Roboflow;

/// <summary>
/// One image's answer in Roboflow's object-detection shape: <c>inference_id</c>, <c>time</c> in seconds, the image
/// size, and predictions with box centre and size in original pixels. Several images are answered as a list.
/// <c>visualization</c>, when asked for, is the image with its boxes drawn, as base64 JPEG.
/// </summary>
public sealed record RoboflowResponse(string InferenceId, double Time, RoboflowImage Image, IReadOnlyList<RoboflowPrediction> Predictions, string? Visualization = null)
{
    public static RoboflowResponse From(DetectionResult result, string inferenceId, TimeSpan elapsed, string? visualization = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var predictions = new RoboflowPrediction[result.Detections.Count];
        for (var i = 0; i < predictions.Length; i++)
        {
            var detection = result.Detections[i];
            var box = detection.Box;
            predictions[i] = new RoboflowPrediction(
                (box.X1 + box.X2) / 2,
                (box.Y1 + box.Y2) / 2,
                box.Width,
                box.Height,
                detection.Confidence,
                detection.ClassName,
                detection.ClassId,
                Guid.NewGuid().ToString());
        }

        return new RoboflowResponse(inferenceId, Math.Round(elapsed.TotalSeconds, 6), new RoboflowImage(result.Width, result.Height), predictions, visualization);
    }
}

public sealed record RoboflowImage(int Width, int Height);

/// <summary><c>x</c>, <c>y</c>: the box centre; <c>width</c>, <c>height</c>: its size; all in original pixels.</summary>
public sealed record RoboflowPrediction(float X, float Y, float Width, float Height, float Confidence, string Class, int ClassId, string DetectionId);

/// <summary><c>GET /model/registry</c> and <c>POST /model/add</c>: the models the inference SDK's v1 mode looks up before inferring.</summary>
public sealed record RoboflowRegistry(IReadOnlyList<RoboflowModelDescription> Models);

public sealed record RoboflowModelDescription(string ModelId, string TaskType, int? BatchSize, int? InputHeight, int? InputWidth);

/// <summary>The body of <c>POST /model/add</c>.</summary>
public sealed record RoboflowAddModel(string ModelId, string? ApiKey);
