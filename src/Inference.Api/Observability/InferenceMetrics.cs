using Inference.Core.Contracts;
using Inference.Core.Repository;
using Inference.Core.Scheduling;
using Inference.Core.Serving;
using Prometheus;

namespace Inference.Api.Observability;

/// <summary>
/// The service's Prometheus metrics, on a registry of its own (so every host in a process, tests included, counts
/// only its own traffic). Durations are histograms in seconds with fixed buckets; everything about inference carries
/// the model id.
/// </summary>
public sealed class InferenceMetrics : IModelObserver, IDetectionObserver
{
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private readonly Histogram _requestDuration;
    private readonly Histogram _queueWait;
    private readonly Histogram _batchInference;
    private readonly Histogram _preprocess;
    private readonly Histogram _postprocess;
    private readonly Histogram _batchSize;
    private readonly Gauge _pendingRequests;
    private readonly Gauge _queuedImages;
    private readonly Gauge _ready;
    private readonly Gauge _modelReady;
    private readonly Gauge _modelInfo;
    private readonly Counter _requests;
    private readonly Counter _images;
    private readonly Counter _rejections;
    private readonly Counter _batchFailures;
    private readonly Counter _modelFailures;
    private readonly Counter _downloadBytes;
    private readonly Gauge _downloadSeconds;
    private readonly Gauge _loadSeconds;
    private readonly List<ServedModel> _models = [];

    public InferenceMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        var latency = new HistogramConfiguration { Buckets = LatencyBuckets };
        _requestDuration = factory.CreateHistogram("inference_request_duration_seconds", "HTTP request duration.", ["route", "status_class"], latency);
        _queueWait = factory.CreateHistogram("inference_queue_wait_seconds", "Time an image waited for its batch to start.", ["model"], latency);
        _batchInference = factory.CreateHistogram("inference_batch_inference_seconds", "Model run time per batch.", ["model"], latency);
        _preprocess = factory.CreateHistogram("inference_preprocess_seconds", "Decode and letterbox time per image.", ["model"], latency);
        _postprocess = factory.CreateHistogram("inference_postprocess_seconds", "Output decoding and NMS time per image.", ["model"], latency);
        _batchSize = factory.CreateHistogram("inference_batch_size", "Images per model run.", ["model"], new HistogramConfiguration { Buckets = BatchSizeBuckets });
        _pendingRequests = factory.CreateGauge("inference_pending_requests", "Detection requests being served.");
        _queuedImages = factory.CreateGauge("inference_queued_images", "Images admitted and not yet running, decoding included.", ["model"]);
        _ready = factory.CreateGauge("inference_ready", "1 when every model is loaded, verified and warmed up.");
        _modelReady = factory.CreateGauge("inference_model_ready", "1 when the model is loaded, verified and warmed up.", ["model"]);
        _modelInfo = factory.CreateGauge("inference_model_info", "The served model; always 1.", ["model", "name", "version", "sha256", "provider"]);
        _requests = factory.CreateCounter("inference_requests_total", "Detection requests by outcome ('ok' or the problem code).", ["model", "outcome"]);
        _images = factory.CreateCounter("inference_images_total", "Images run through the model.", ["model"]);
        _rejections = factory.CreateCounter("inference_rejections_total", "Detection requests answered with a problem, by its code.", ["model", "reason"]);
        _batchFailures = factory.CreateCounter("inference_batch_failures_total", "Batches the model failed to run.", ["model"]);
        _modelFailures = factory.CreateCounter("inference_model_failures_total", "Times a model was marked failed while serving (dead runner, repeated failures, out of memory).", ["model"]);
        _downloadBytes = factory.CreateCounter("inference_model_download_bytes_total", "Bytes of model weights downloaded (cache hits download nothing).", ["model"]);
        _downloadSeconds = factory.CreateGauge("inference_model_download_duration_seconds", "How long the last weights download took.", ["model"]);
        _loadSeconds = factory.CreateGauge("inference_model_load_duration_seconds", "Download, session load, verification and warm-up time of the model.", ["model"]);
        DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(() =>
        {
            lock (_models)
            {
                foreach (var model in _models)
                {
                    _queuedImages.WithLabels(model.Id).Set(model.Scheduler.QueuedImages);
                }
            }
        });
    }

    public CollectorRegistry Registry { get; }

    public IBatchObserver ForModel(string modelId) => new BatchMetrics(this, modelId);

    public void StatusChanged(ModelEntry entry, bool allReady)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _modelReady.WithLabels(entry.Id).Set(entry.IsReady ? 1 : 0);
        _ready.Set(allReady ? 1 : 0);
    }

    public void Loaded(ServedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_models)
        {
            _models.Add(model);
        }

        _loadSeconds.WithLabels(model.Id).Set(model.StartupTime.TotalSeconds);
        _modelInfo.WithLabels(model.Id, model.Manifest.Name, model.Manifest.Version, model.Sha256, model.Provider).Set(1);
        // Present at 0 for local files and cache hits too, so "nothing was downloaded" is a value, not an absence.
        var downloaded = _downloadBytes.WithLabels(model.Id);
        if (model.Download is { FromCache: false } download)
        {
            downloaded.Inc(download.Bytes);
            _downloadSeconds.WithLabels(model.Id).Set(download.Duration.TotalSeconds);
        }
    }

    public void ImageServed(string modelId, DetectionTimings timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        _images.WithLabels(modelId).Inc();
        _preprocess.WithLabels(modelId).Observe((timings.DecodeMs + timings.PreprocessMs) / 1000);
        _queueWait.WithLabels(modelId).Observe(timings.QueueMs / 1000);
        _postprocess.WithLabels(modelId).Observe(timings.PostprocessMs / 1000);
    }

    public void RequestFinished(string route, int statusCode, TimeSpan duration) =>
        _requestDuration.WithLabels(route, $"{statusCode / 100}xx").Observe(duration.TotalSeconds);

    public IDisposable TrackPending() => _pendingRequests.TrackInProgress();

    public void Outcome(string model, string outcome) => _requests.WithLabels(model, outcome).Inc();

    /// <summary>A request answered with a problem: counted by its code, as outcome and as rejection.</summary>
    public void Refused(string model, Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        _requests.WithLabels(model, problem.Code).Inc();
        _rejections.WithLabels(model, problem.Code).Inc();
    }

    private sealed class BatchMetrics(InferenceMetrics metrics, string model) : IBatchObserver
    {
        public void BatchCompleted(int batchSize, TimeSpan duration)
        {
            metrics._batchSize.WithLabels(model).Observe(batchSize);
            metrics._batchInference.WithLabels(model).Observe(duration.TotalSeconds);
        }

        public void BatchFailed(int batchSize, Exception exception) => metrics._batchFailures.WithLabels(model).Inc();

        public void Faulted(string reason) => metrics._modelFailures.WithLabels(model).Inc();
    }
}
