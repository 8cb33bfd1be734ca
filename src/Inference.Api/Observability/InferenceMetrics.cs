using Inference.Core.Batching;
using Inference.Core.Model;
using Prometheus;

namespace Inference.Api.Observability;

/// <summary>
/// The service's Prometheus metrics, on a registry of its own (so every host in a process, tests included, counts
/// only its own traffic). Durations are histograms in seconds with fixed buckets.
/// </summary>
public sealed class InferenceMetrics : IBatchObserver
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
    private readonly Gauge _modelInfo;
    private readonly Counter _requests;
    private readonly Counter _images;
    private readonly Counter _rejections;
    private readonly Counter _batchFailures;
    private readonly Counter _downloadBytes;
    private readonly Gauge _downloadSeconds;
    private readonly Gauge _loadSeconds;
    private DynamicBatcher? _batcher;

    public InferenceMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _requestDuration = factory.CreateHistogram("inference_request_duration_seconds", "HTTP request duration.", ["route", "status_class"], new HistogramConfiguration { Buckets = LatencyBuckets });
        _queueWait = factory.CreateHistogram("inference_queue_wait_seconds", "Time an image waited for its batch to start.", new HistogramConfiguration { Buckets = LatencyBuckets });
        _batchInference = factory.CreateHistogram("inference_batch_inference_seconds", "Model run time per batch.", new HistogramConfiguration { Buckets = LatencyBuckets });
        _preprocess = factory.CreateHistogram("inference_preprocess_seconds", "Decode and letterbox time per image.", new HistogramConfiguration { Buckets = LatencyBuckets });
        _postprocess = factory.CreateHistogram("inference_postprocess_seconds", "Output decoding and NMS time per image.", new HistogramConfiguration { Buckets = LatencyBuckets });
        _batchSize = factory.CreateHistogram("inference_batch_size", "Images per model run.", new HistogramConfiguration { Buckets = BatchSizeBuckets });
        _pendingRequests = factory.CreateGauge("inference_pending_requests", "Detection requests being served.");
        _queuedImages = factory.CreateGauge("inference_queued_images", "Images admitted and waiting for a batch.");
        _ready = factory.CreateGauge("inference_ready", "1 when the model is loaded, verified and warmed up.");
        _modelInfo = factory.CreateGauge("inference_model_info", "The served model; always 1.", ["name", "version", "sha256", "provider"]);
        _requests = factory.CreateCounter("inference_requests_total", "Detection requests by outcome.", ["outcome"]);
        _images = factory.CreateCounter("inference_images_total", "Images run through the model.");
        _rejections = factory.CreateCounter("inference_rejections_total", "Requests refused before inference, by reason.", ["reason"]);
        _batchFailures = factory.CreateCounter("inference_batch_failures_total", "Batches the model failed to run.");
        _downloadBytes = factory.CreateCounter("inference_model_download_bytes_total", "Bytes of model weights downloaded (cache hits download nothing).");
        _downloadSeconds = factory.CreateGauge("inference_model_download_duration_seconds", "How long the last weights download took.");
        _loadSeconds = factory.CreateGauge("inference_model_load_duration_seconds", "Session load, verification and warm-up time of the served model.");
        DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(() => _queuedImages.Set(_batcher?.QueuedImages ?? 0));
    }

    public CollectorRegistry Registry { get; }

    public void ModelDownloaded(long bytes, TimeSpan duration)
    {
        _downloadBytes.Inc(bytes);
        _downloadSeconds.Set(duration.TotalSeconds);
    }

    public void ModelLoaded(OnnxDetector detector, DynamicBatcher batcher, TimeSpan loadDuration)
    {
        ArgumentNullException.ThrowIfNull(detector);
        _batcher = batcher;
        _loadSeconds.Set(loadDuration.TotalSeconds);
        _modelInfo.WithLabels(detector.Manifest.Name, detector.Manifest.Version, detector.Sha256, detector.ActiveProvider).Set(1);
    }

    public void SetReady(bool ready) => _ready.Set(ready ? 1 : 0);

    public void RequestFinished(string route, int statusCode, TimeSpan duration) =>
        _requestDuration.WithLabels(route, $"{statusCode / 100}xx").Observe(duration.TotalSeconds);

    public IDisposable TrackPending() => _pendingRequests.TrackInProgress();

    public void Outcome(string outcome) => _requests.WithLabels(outcome).Inc();

    public void Rejected(string reason) => _rejections.WithLabels(reason).Inc();

    public void ImageServed(double preprocessMs, double queueMs, double postprocessMs)
    {
        _images.Inc();
        _preprocess.Observe(preprocessMs / 1000);
        _queueWait.Observe(queueMs / 1000);
        _postprocess.Observe(postprocessMs / 1000);
    }

    public void BatchCompleted(int batchSize, TimeSpan inference)
    {
        _batchSize.Observe(batchSize);
        _batchInference.Observe(inference.TotalSeconds);
    }

    public void BatchFailed(int batchSize, Exception exception) => _batchFailures.Inc();
}
