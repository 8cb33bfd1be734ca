using Inference.Core.Serving;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Scheduling;
using Inference.Core.Sources;
using Microsoft.Extensions.Logging;

namespace Inference.Core.Repository;

/// <summary>Hears what the repository does, for metrics: each model's batches, state changes and loads.</summary>
public interface IModelObserver
{
    IBatchObserver? ForModel(string modelId);

    /// <param name="allReady">Whether every model of the repository is ready now.</param>
    void StatusChanged(ModelEntry entry, bool allReady);

    void Loaded(ServedModel model);
}

/// <summary>
/// Where models come from (Triton's model repository): the default model from the <c>Model</c> section and more by
/// id from <c>Models</c>, each with its own pin, manifest, backend instances and scheduler. Readiness is true when
/// every configured model is ready. A model whose scheduler faults is marked failed with the reason.
/// </summary>
public sealed partial class ModelRepository : IAsyncDisposable
{
    private readonly ModelLoader _loader;
    private readonly DetectionService _detection;
    private readonly IModelObserver? _observer;
    private readonly ILogger _logger;
    private readonly string _contentRoot;
    private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ModelRepository(ModelRepositoryOptions options, ModelLoader loader, DetectionService detection, string contentRoot, ILogger<ModelRepository> logger, IModelObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _loader = loader;
        _detection = detection;
        _observer = observer;
        _logger = logger;
        _contentRoot = contentRoot;
        Models = [.. options.Entries().Select(e => new ModelEntry(e.Id, e.Options, e.IsDefault))];
        Default = Models[0];
        foreach (var entry in Models)
        {
            entry.Changed += e => _observer?.StatusChanged(e, IsReady);
        }
    }

    /// <summary>Every configured model, the default one first.</summary>
    public IReadOnlyList<ModelEntry> Models { get; }

    public ModelEntry Default { get; }

    public bool IsReady => Models.All(m => m.IsReady);

    public ModelEntry? Find(string id) => Models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal));

    /// <summary>Completes once every model has finished its load, ready or failed (what a caller waits on, never polls).</summary>
    public Task Settled => _settled.Task;

    /// <summary>Loads every model in turn; a model that fails stays failed with its reason, and the others still load.</summary>
    public async Task LoadAllAsync(CancellationToken stoppingToken)
    {
        foreach (var entry in Models)
        {
            await LoadAsync(entry, stoppingToken).ConfigureAwait(false);
        }

        _settled.TrySetResult();
    }

    /// <summary>While idle: every loaded model gives back the batch buffers a burst left behind.</summary>
    public void TrimBuffers()
    {
        foreach (var entry in Models)
        {
            entry.Model?.TrimBuffers();
        }
    }

    /// <summary>From SIGTERM on, readiness is false; the models keep serving through the drain delay.</summary>
    public void MarkStopping()
    {
        foreach (var entry in Models)
        {
            entry.MarkStopping();
        }
    }

    /// <summary>Runs what every scheduler has admitted, then frees the sessions.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var entry in Models)
        {
            if (entry.Model is { } model)
            {
                await model.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task LoadAsync(ModelEntry entry, CancellationToken stoppingToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(entry.Options.StartupTimeoutSeconds));
        var status = new StatusProgress(entry);
        ServedModel? model = null;
        try
        {
            var observer = new EntryObserver(entry, _observer?.ForModel(entry.Id));
            model = await _loader.LoadAsync(entry.Id, entry.Options, _contentRoot, status, observer, deadline.Token).ConfigureAwait(false);
            entry.Report(ModelState.WarmingUp, "Warming up the decode, letterbox and postprocessing path.");
            await _detection.WarmUpAsync(model, deadline.Token).ConfigureAwait(false);

            // Warm-up batches are not traffic: the host's metrics start with the first real request.
            observer.Live = true;
            _observer?.Loaded(model);
            entry.Publish(model);
            model = null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            entry.Report(ModelState.Failed, "Shutdown began before the model was ready.");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Fail(entry, $"The start-up deadline (StartupTimeoutSeconds = {entry.Options.StartupTimeoutSeconds}) passed. Last step: {entry.Status.Reason}", null);
        }
        catch (Exception ex) when (ex is ModelSourceException or ModelLoadException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            Fail(entry, ex.Message, ex);
        }
        catch (Exception ex) when (ex is ImageDecodeException or SchedulerStoppedException or ModelFailedException or BatchFailedException)
        {
            // The warm-up through the request path failed: the model cannot serve, and says why.
            Fail(entry, $"The warm-up request failed: {ex.Message}", ex);
        }
        finally
        {
            if (model is not null)
            {
                await model.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // The process stays up and live, but never ready: the reason is what operators and deploy hooks see.
    private void Fail(ModelEntry entry, string reason, Exception? exception)
    {
        entry.Report(ModelState.Failed, reason);
        LogFailed(_logger, entry.Id, reason, exception);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Id} could not be loaded; the service stays not ready: {Reason}")]
    private static partial void LogFailed(ILogger logger, string id, string reason, Exception? exception);

    private sealed class StatusProgress(ModelEntry entry) : IProgress<string>
    {
        public void Report(string value) =>
            entry.Report(value.StartsWith("Warming", StringComparison.Ordinal) ? ModelState.WarmingUp : ModelState.Loading, value);
    }

    /// <summary>A scheduler fault fails the model (readiness 503 with the reason), then the host hears of the batch.</summary>
    private sealed class EntryObserver(ModelEntry entry, IBatchObserver? host) : IBatchObserver
    {
        public bool Live { get; set; }

        public void BatchCompleted(int batchSize, TimeSpan duration)
        {
            if (Live)
            {
                host?.BatchCompleted(batchSize, duration);
            }
        }

        public void BatchFailed(int batchSize, Exception exception) => host?.BatchFailed(batchSize, exception);

        public void Faulted(string reason)
        {
            entry.Report(ModelState.Failed, reason);
            host?.Faulted(reason);
        }
    }
}
