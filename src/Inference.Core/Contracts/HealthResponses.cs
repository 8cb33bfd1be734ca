namespace Inference.Core.Contracts;

// The health routes' answers, shared by the HTTP service and the Lambda function so that one validator checks both.

public sealed record LiveResponse(string Status);

public sealed record ReadyResponse(string Status, string Model, string Version, string Sha256, string Provider);

public sealed record GoldenResponse(bool Passed, string Model, string Version, IReadOnlyList<GoldenCheckOutcome> Checks, string? Warning);

public sealed record GoldenCheckOutcome(string Image, bool Passed, IReadOnlyList<string> Problems, IReadOnlyList<DetectedObject> Detections);
