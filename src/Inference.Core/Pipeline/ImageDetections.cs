using Inference.Core.Postprocessing;

namespace Inference.Core.Pipeline;

/// <summary>What one image gave: its upright size, its detections in original pixels, and stage timings.</summary>
public sealed record ImageDetections(int Width, int Height, IReadOnlyList<Detection> Detections, StageTimings Timings);
