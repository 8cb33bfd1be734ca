using System.Diagnostics;
using Inference.Api.Hosting;
using Inference.Api.Observability;
using Inference.Core.Batching;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Pipeline;
using Microsoft.Extensions.Options;

namespace Inference.Api.Model;

/// <summary>
/// Loads the pinned model in the background as the host starts, so liveness answers at once while readiness
/// waits for load, verification and a warm-up run at every batch size the scheduler can form.
/// </summary>
internal sealed partial class ModelLoaderService(
    ModelHost host,
    InferenceMetrics metrics,
    IOptions<ModelOptions> modelOptions,
    IOptions<DetectorOptions> detectorOptions,
    IOptions<BatchingOptions> batchingOptions,
    IOptions<LimitsOptions> limits,
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

        await Task.Run(() => Load(stoppingToken), stoppingToken).ConfigureAwait(false);
    }

    private void Load(CancellationToken stoppingToken)
    {
        var clock = Stopwatch.StartNew();
        OnnxDetector? detector = null;
        try
        {
            var manifestPath = ContentPaths.Resolve(modelOptions.Value.Manifest, environment.ContentRootPath);
            host.Report(ModelState.Loading, $"Loading the model manifest {manifestPath}.");
            var manifest = ModelManifest.Load(manifestPath);
            var weights = modelOptions.Value.Path is { } configured
                ? ContentPaths.Resolve(configured, environment.ContentRootPath)
                : manifest.ResolvePath(manifest.Weights ?? throw new ModelLoadException($"Neither Model:Path nor the manifest's 'weights' names the ONNX file."));

            host.Report(ModelState.Loading, $"Loading and verifying {weights}.");
            detector = OnnxDetector.Load(weights, manifest, detectorOptions.Value, loggerFactory.CreateLogger<OnnxDetector>());
            var decoder = new ImageDecoder(new ImageLimits { MaxPixels = limits.Value.MaxPixels, MaxSide = limits.Value.MaxSide });
            var pipeline = new DetectionPipeline(detector, decoder, batchingOptions.Value.MaxBatchSize);
            var sizes = Enumerable.Range(1, pipeline.MaxBatchSize).ToArray();
            foreach (var size in sizes)
            {
                stoppingToken.ThrowIfCancellationRequested();
                host.Report(ModelState.WarmingUp, $"Warming up batch size {size} of {sizes.Length}.");
                detector.Warmup([size]);
            }

            pipeline.WarmUp();
            var batcher = new DynamicBatcher(pipeline, batchingOptions.Value, metrics, loggerFactory.CreateLogger<DynamicBatcher>());
            metrics.ModelLoaded(detector, batcher);
            host.Publish(new LoadedModel(detector, pipeline, batcher, clock.Elapsed));
            LogReady(_logger, manifest.Name, manifest.Version, detector.ActiveProvider, clock.Elapsed.TotalMilliseconds);
            detector = null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            host.Report(ModelState.Failed, "Shutdown began before the model was ready.");
        }
        catch (Exception ex) when (ex is ModelLoadException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            // The process stays up and live, but never ready: the reason is what operators and deploy hooks see.
            host.Report(ModelState.Failed, ex.Message);
            LogFailed(_logger, ex);
        }
        finally
        {
            detector?.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Name} {Version} ready on {Provider} after {Milliseconds:0} ms")]
    private static partial void LogReady(ILogger logger, string name, string version, string provider, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The model could not be loaded; the service stays not ready")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
