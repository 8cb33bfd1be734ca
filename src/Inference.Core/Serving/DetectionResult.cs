using Inference.Core.Postprocessing;

namespace Inference.Core.Serving;

/// <summary>One image's detections, in original pixels of the upright image, and where its time went.</summary>
public sealed record DetectionResult(int Width, int Height, IReadOnlyList<Detection> Detections, DetectionTimings Timings);

/// <summary>
/// Milliseconds per stage. Decode includes waiting for a decode turn; queue runs from the slot being written to its
/// batch starting; inference is the shared batch's run.
/// </summary>
public sealed record DetectionTimings(double DecodeMs, double PreprocessMs, double QueueMs, double InferenceMs, double PostprocessMs, int BatchSize, int Instance);

/// <summary>Hears about every image the detection service serves; hosts turn this into metrics.</summary>
public interface IDetectionObserver
{
    void ImageServed(string modelId, DetectionTimings timings);
}
