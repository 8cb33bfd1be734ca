using System.Diagnostics;
using Inference.Api.Hosting;
using Inference.Api.Observability;
using Inference.Core.Batching;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Pipeline;
using Inference.Core.Sources;
using Microsoft.Extensions.Options;

namespace Inference.Api.Model;

/// <summary>
/// Loads the pinned model in the background once the server listens, so liveness answers at once while readiness
/// reports each step: downloading (with progress), verifying, loading, warming up at every batch size. Any failure
/// (a checksum mismatch, access denied, not found, the start-up deadline) leaves the service live but never ready,
/// with the reason.
/// </summary>
internal sealed partial class ModelLoaderService(
    ModelHost host,
    InferenceMetrics metrics,
    IOptions<ModelOptions> modelOptions,
    IOptions<DetectorOptions> detectorOptions,
    IOptions<BatchingOptions> batchingOptions,
    IOptions<LimitsOptions> limits,
    IOptions<S3Options> s3Options,
    IHostEnvironment environment,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<ModelLoaderService>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Listen first, load second: liveness and the not-ready reason are visible for the whole load.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }

        await Task.Run(() => LoadAsync(stoppingToken), stoppingToken).ConfigureAwait(false);
    }

    private async Task LoadAsync(CancellationToken stoppingToken)
    {
        var options = modelOptions.Value;
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.StartupTimeoutSeconds));
        var spec = options.ToSpec(environment.ContentRootPath);
        using var s3 = spec.UsesS3 ? s3Options.Value.CreateClient(sdkRetries: false) : null;
        OnnxDetector? detector = null;
        try
        {
            host.Report(ModelState.Loading, $"Resolving the model: manifest {spec.Manifest}{(spec.Weights is { } pin ? $", weights {pin.Location}" : string.Empty)}.");
            var fetcher = s3 is null ? null : new S3ObjectFetcher(s3, s3Options.Value, loggerFactory.CreateLogger<S3ObjectFetcher>());
            var resolver = new ModelResolver(new ModelCache(options.CacheDirectory), fetcher);
            var resolved = await resolver.ResolveAsync(spec, new ReadinessProgress(host), deadline.Token).ConfigureAwait(false);
            if (resolved.Download is { FromCache: false } download)
            {
                metrics.ModelDownloaded(download.Bytes, download.Duration);
            }

            var loadClock = Stopwatch.StartNew();
            host.Report(ModelState.Loading, $"Loading and verifying {resolved.WeightsPath}.");
            detector = OnnxDetector.Load(resolved.WeightsPath, resolved.Manifest, detectorOptions.Value, loggerFactory.CreateLogger<OnnxDetector>(), resolved.Download?.Sha256);
            var decoder = new ImageDecoder(new ImageLimits { MaxPixels = limits.Value.MaxPixels, MaxSide = limits.Value.MaxSide });
            var pipeline = new DetectionPipeline(detector, decoder, batchingOptions.Value.MaxBatchSize);
            for (var size = 1; size <= pipeline.MaxBatchSize; size++)
            {
                deadline.Token.ThrowIfCancellationRequested();
                host.Report(ModelState.WarmingUp, $"Warming up batch size {size} of {pipeline.MaxBatchSize}.");
                detector.Warmup([size]);
            }

            pipeline.WarmUp();
            var batcher = new DynamicBatcher(pipeline, batchingOptions.Value, metrics, loggerFactory.CreateLogger<DynamicBatcher>());
            metrics.ModelLoaded(detector, batcher, loadClock.Elapsed);
            host.Publish(new LoadedModel(detector, pipeline, batcher, clock.Elapsed));
            LogReady(_logger, resolved.Manifest.Name, resolved.Manifest.Version, detector.ActiveProvider, clock.Elapsed.TotalMilliseconds);
            detector = null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            host.Report(ModelState.Failed, "Shutdown began before the model was ready.");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Fail($"The start-up deadline (Model:StartupTimeoutSeconds = {options.StartupTimeoutSeconds}) passed. Last step: {host.Status.Reason}", null);
        }
        catch (Exception ex) when (ex is ModelSourceException or ModelLoadException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            Fail(ex.Message, ex);
        }
        finally
        {
            detector?.Dispose();
        }
    }

    // The process stays up and live, but never ready: the reason is what operators and deploy hooks see.
    private void Fail(string reason, Exception? exception)
    {
        host.Report(ModelState.Failed, reason);
        LogFailed(_logger, reason, exception);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Name} {Version} ready on {Provider} after {Milliseconds:0} ms")]
    private static partial void LogReady(ILogger logger, string name, string version, string provider, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The model could not be loaded; the service stays not ready: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason, Exception? exception);

    /// <summary>Puts download progress into the readiness reason as it happens.</summary>
    private sealed class ReadinessProgress(ModelHost host) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => host.Report(ModelState.Loading, value.ToString());
    }
}
