using Inference.Core.Repository;
using Inference.Core.Serving;

namespace Inference.Core.Contracts;

// The health routes' answers, shared by the HTTP service and the Lambda function so that one validator checks both.

public sealed record LiveResponse(string Status);

/// <summary><c>/health/ready</c>: ready only when every model is; each model's state and reason either way.</summary>
public sealed record ReadyResponse(string Status, IReadOnlyList<ModelReadiness> Models)
{
    public const string ReadyStatus = "ready";
    public const string NotReadyStatus = "not_ready";

    public static ReadyResponse From(ModelRepository repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var models = repository.Models.Select(ModelReadiness.From).ToArray();
        return new ReadyResponse(models.All(m => m.State == ModelState.Ready) ? ReadyStatus : NotReadyStatus, models);
    }
}

public sealed record ModelReadiness(string Id, ModelState State, string Reason, string? Name, string? Version, string? Sha256, string? Provider)
{
    public static ModelReadiness From(ModelEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var (state, reason) = entry.Status;
        var model = entry.Model;
        return new ModelReadiness(entry.Id, state, reason, model?.Manifest.Name, model?.Manifest.Version, model?.Sha256, model?.Provider);
    }
}

/// <summary><c>/health/golden</c>: every model's golden checks; passed only when all pass.</summary>
public sealed record GoldenResponse(bool Passed, IReadOnlyList<ModelGolden> Models)
{
    public static async Task<GoldenResponse> RunAsync(ModelRepository repository, DetectionService detection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(detection);
        var models = new List<ModelGolden>(repository.Models.Count);
        foreach (var entry in repository.Models)
        {
            var model = entry.Model ?? throw new InvalidOperationException($"Model '{entry.Id}' is not loaded.");
            models.Add(ModelGolden.From(model, await detection.RunGoldenChecksAsync(model, cancellationToken).ConfigureAwait(false)));
        }

        return new GoldenResponse(models.All(m => m.Passed), models);
    }
}

public sealed record ModelGolden(string Id, string Model, string Version, bool Passed, IReadOnlyList<GoldenCheckOutcome> Checks, string? Warning)
{
    public static ModelGolden From(ServedModel model, IReadOnlyList<GoldenCheckResult> results)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(results);
        return new ModelGolden(
            model.Id,
            model.Manifest.Name,
            model.Manifest.Version,
            results.All(r => r.Passed),
            [.. results.Select(r => new GoldenCheckOutcome(r.Image, r.Passed, r.Problems, [.. r.Actual.Select(DetectedObject.From)]))],
            results.Count == 0 ? "The manifest declares no golden checks; nothing was verified." : null);
    }
}

public sealed record GoldenCheckOutcome(string Image, bool Passed, IReadOnlyList<string> Problems, IReadOnlyList<DetectedObject> Detections);
