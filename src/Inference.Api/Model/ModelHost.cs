using System.Text.Json.Serialization;
using Inference.Api.Observability;
using Inference.Core.Batching;
using Inference.Core.Model;
using Inference.Core.Pipeline;

namespace Inference.Api.Model;

[JsonConverter(typeof(JsonStringEnumConverter<ModelState>))]
public enum ModelState
{
    [JsonStringEnumMemberName("loading")]
    Loading,

    [JsonStringEnumMemberName("warming_up")]
    WarmingUp,

    [JsonStringEnumMemberName("ready")]
    Ready,

    [JsonStringEnumMemberName("failed")]
    Failed,

    [JsonStringEnumMemberName("stopping")]
    Stopping,
}

/// <summary>The pinned model once loaded, verified and warmed: the session, the pipeline and its scheduler.</summary>
public sealed record LoadedModel(OnnxDetector Detector, DetectionPipeline Pipeline, DynamicBatcher Batcher, TimeSpan StartupTime);

/// <summary>
/// Holds the served model and the state readiness reports. The model stays usable while stopping, so requests
/// that arrive during the drain delay are still answered.
/// </summary>
public sealed class ModelHost(InferenceMetrics metrics) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private (ModelState State, string Reason) _status = (ModelState.Loading, "The model is loading.");

    public LoadedModel? Model { get; private set; }

    /// <summary>State and reason read together, so a response never pairs one state with another's reason.</summary>
    public (ModelState State, string Reason) Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    public ModelState State => Status.State;

    public bool IsReady => State == ModelState.Ready;

    public void Report(ModelState state, string reason)
    {
        lock (_lock)
        {
            // Once shutdown has begun nothing may make the service look ready again.
            if (_status.State == ModelState.Stopping)
            {
                return;
            }

            _status = (state, reason);
        }

        metrics.SetReady(state == ModelState.Ready);
    }

    public void Publish(LoadedModel model)
    {
        Model = model;
        Report(ModelState.Ready, "The model is loaded, verified and warmed up.");
    }

    public void MarkStopping()
    {
        lock (_lock)
        {
            _status = (ModelState.Stopping, "The service is shutting down.");
        }

        metrics.SetReady(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Model is { } model)
        {
            // Runs whatever batches are still formed, then frees the session.
            await model.Batcher.DisposeAsync().ConfigureAwait(false);
            model.Detector.Dispose();
        }
    }
}
