namespace Inference.Core.Postprocessing;

/// <summary>One detected object, with its box in original-image pixels.</summary>
public sealed record Detection(int ClassId, string ClassName, float Confidence, BoundingBox Box);
