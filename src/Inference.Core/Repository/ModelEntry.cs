using Inference.Core.Sources;

namespace Inference.Core.Repository;

/// <summary>
/// One configured model: its id, where it comes from, its state and, once ready, the served model. The model stays
/// usable while stopping, so requests that arrive during the drain delay are still answered.
/// </summary>
public sealed class ModelEntry
{
    private readonly Lock _lock = new();
    private ModelStatus _status = new(ModelState.Loading, "The model is loading.");

    internal ModelEntry(string id, ModelOptions options, bool isDefault)
    {
        Id = id;
        Options = options;
        IsDefault = isDefault;
    }

    public string Id { get; }

    public ModelOptions Options { get; }

    /// <summary>Whether <c>/v1/detect</c> and <c>/v1/model</c> serve it.</summary>
    public bool IsDefault { get; }

    public ServedModel? Model { get; private set; }

    public ModelStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    public bool IsReady => Status.State == ModelState.Ready;

    internal event Action<ModelEntry>? Changed;

    /// <returns>False when the change was refused: once stopping or failed, nothing makes a model look ready again.</returns>
    internal bool Report(ModelState state, string reason)
    {
        lock (_lock)
        {
            if (_status.State == ModelState.Stopping || (_status.State == ModelState.Failed && state != ModelState.Stopping))
            {
                return false;
            }

            _status = new(state, reason);
        }

        Changed?.Invoke(this);
        return true;
    }

    internal void Publish(ServedModel model)
    {
        Model = model;
        Report(ModelState.Ready, "The model is loaded, verified and warmed up.");
    }

    internal void MarkStopping()
    {
        lock (_lock)
        {
            _status = new(ModelState.Stopping, "The service is shutting down.");
        }

        Changed?.Invoke(this);
    }
}
