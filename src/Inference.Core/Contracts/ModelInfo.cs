using Inference.Core.Model;
using Inference.Core.Repository;

namespace Inference.Core.Contracts;

/// <summary>
/// What <c>GET /v1/models/{id}</c> (and <c>/v1/model</c> for the default one) tells, on every front end: the id,
/// state and reason always; the manifest facts, provider, batching, input, classes and upload (<c>float32</c> or
/// <c>uint8</c>) once loaded.
/// </summary>
public sealed record ModelInfo(
    string Id,
    bool Default,
    ModelState State,
    string Reason,
    string? Name = null,
    string? Version = null,
    string? Sha256 = null,
    string? Format = null,
    string? Provider = null,
    InputSpec? Input = null,
    BatchingInfo? Batching = null,
    PostprocessDefaults? Defaults = null,
    IReadOnlyList<string>? Classes = null,
    double? StartupMs = null,
    IReadOnlyList<DefaultedValue>? Defaulted = null,
    string? Upload = null)
{
    public static ModelInfo From(ModelEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var status = entry.Status;
        if (entry.Model is not { } model)
        {
            return new ModelInfo(entry.Id, entry.IsDefault, status.State, status.Reason);
        }

        var scheduler = model.Scheduler;
        var signature = model.Signature;
        return new ModelInfo(
            entry.Id,
            entry.IsDefault,
            status.State,
            status.Reason,
            model.Manifest.Name,
            model.Manifest.Version,
            model.Sha256,
            OutputLayout.Name(model.Format),
            model.Provider,
            model.Input,
            new BatchingInfo(scheduler.MaxBatchSize, scheduler.Options.MaxDelayMs, scheduler.Options.MaxQueue, model.Instances, model.LoneInstance, signature.StaticBatchSize, signature.StaticBatchSize is null, model.WarmedBatchSizes),
            model.Manifest.Postprocess,
            model.ClassNames,
            Math.Round(model.StartupTime.TotalMilliseconds, 1),
            model.Defaulted,
            model.Upload.ToString().ToLowerInvariant());
    }
}

public sealed record BatchingInfo(int MaxBatchSize, int MaxDelayMs, int MaxQueue, int Instances, bool LoneInstance, int? StaticBatchSize, bool DynamicBatch, IReadOnlyList<int> WarmedBatchSizes);

/// <summary>The list <c>GET /v1/models</c> answers.</summary>
public sealed record ModelList(IReadOnlyList<ModelInfo> Models);
