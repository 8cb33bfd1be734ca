using Inference.Core.Model;
using Inference.Core.Pipeline;

namespace Inference.Core.Contracts;

// The health routes' answers, shared by the HTTP service and the Lambda function so that one validator checks both.

public sealed record LiveResponse(string Status);

public sealed record ReadyResponse(string Status, string Model, string Version, string Sha256, string Provider);

public sealed record GoldenResponse(bool Passed, string Model, string Version, IReadOnlyList<GoldenCheckOutcome> Checks, string? Warning)
{
    public static GoldenResponse From(ModelManifest manifest, IReadOnlyList<GoldenCheckResult> results)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(results);
        return new GoldenResponse(
            results.All(r => r.Passed),
            manifest.Name,
            manifest.Version,
            results.Select(r => new GoldenCheckOutcome(r.Image, r.Passed, r.Problems, r.Actual.Select(DetectedObject.From).ToArray())).ToArray(),
            results.Count == 0 ? "The manifest declares no golden checks; nothing was verified." : null);
    }
}

public sealed record GoldenCheckOutcome(string Image, bool Passed, IReadOnlyList<string> Problems, IReadOnlyList<DetectedObject> Detections);
