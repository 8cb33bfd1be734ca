using Inference.Core.Postprocessing;

namespace Inference.Api.Tests.Support;

// What a client sees: deserialised independently of the service's own DTOs, so a renamed field fails a test.
public sealed record DetectAnswer(ModelAnswer Model, SizeAnswer Image, List<ObjectAnswer> Detections, TimingsAnswer Timings);

public sealed record ModelAnswer(string Name, string Version, string Sha256);

public sealed record SizeAnswer(int Width, int Height);

public sealed record ObjectAnswer(string Class, int ClassId, float Confidence, BoundingBox Box);

public sealed record TimingsAnswer(double DecodeMs, double PreprocessMs, double QueueMs, double InferenceMs, double PostprocessMs, double TotalMs, int BatchSize);

public sealed record ProblemAnswer(string Type, string Title, int Status, string? Detail, string? Code, Dictionary<string, string[]>? Errors, int? ImageIndex, string? State, string? TraceId);

public sealed record ReadyAnswer(string Status, List<ModelReadinessAnswer> Models);

public sealed record ModelReadinessAnswer(string Id, string State, string Reason, string? Name, string? Version, string? Sha256, string? Provider);
