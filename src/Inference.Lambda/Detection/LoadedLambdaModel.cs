using System.Diagnostics;
using Inference.Core.Contracts;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Pipeline;
using Inference.Core.Sources;
using Microsoft.Extensions.Configuration;

namespace Inference.Lambda.Detection;

/// <summary>What <c>GET /v1/model</c> tells on Lambda: the manifest facts, the provider and the classes.</summary>
public sealed record LambdaModelInfo(string Name, string Version, string Sha256, string Format, string Provider, IReadOnlyList<string> Classes, double StartupMs, IReadOnlyList<DefaultedValue> Defaulted);

/// <summary>
/// The model, resolved and warmed during the function's init phase: the same <c>Model__*</c> pin variables as the
/// ECS service (S3 URI, VersionId, SHA-256, manifest), a file from the package or a layer under <c>/opt</c>
/// (<c>Model__Manifest=/opt/model/manifest.json</c>), or the embedded demo model when nothing is set.
/// </summary>
public sealed class LoadedLambdaModel
{
    private LoadedLambdaModel(DetectionPipeline pipeline, LambdaModelInfo info)
    {
        Pipeline = pipeline;
        Info = info;
        Summary = new ModelSummary(info.Name, info.Version, info.Sha256);
    }

    public DetectionPipeline Pipeline { get; }

    public LambdaModelInfo Info { get; }

    public ModelSummary Summary { get; }

    public static async Task<LoadedLambdaModel> LoadAsync(IConfiguration configuration, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var clock = Stopwatch.StartNew();
        var options = configuration.GetSection(ModelOptions.Section).Get<ModelOptions>() ?? new ModelOptions();
        var problems = options.Validate().ToArray();
        if (problems.Length > 0)
        {
            throw new InvalidOperationException(string.Join(' ', problems));
        }

        // Lambda has no GPU: CPU unless the configuration says otherwise.
        var detectorOptions = configuration.GetSection("Inference").Get<DetectorOptions>() ?? new DetectorOptions();
        if (configuration["Inference:ExecutionProvider"] is null)
        {
            detectorOptions = detectorOptions with { ExecutionProvider = ExecutionProviderPreference.Cpu };
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(options.StartupTimeoutSeconds));
        var spec = options.ToSpec(AppContext.BaseDirectory);
        var s3Options = configuration.GetSection("S3").Get<S3Options>() ?? new S3Options();
        using var s3 = spec.UsesS3 ? s3Options.CreateClient(sdkRetries: false) : null;
        var fetcher = s3 is null ? null : new S3ObjectFetcher(s3, s3Options, loggers.CreateLogger<S3ObjectFetcher>());
        var resolved = await new ModelResolver(new ModelCache(options.CacheDirectory), fetcher).ResolveAsync(spec, null, deadline.Token).ConfigureAwait(false);

        var detector = OnnxDetector.Load(resolved.WeightsPath, resolved.Manifest, detectorOptions, loggers.CreateLogger<OnnxDetector>(), resolved.Download?.Sha256);
        try
        {
            var pipeline = new DetectionPipeline(detector, new ImageDecoder(), maxBatchSize: 1);
            detector.Warmup([1]);
            pipeline.WarmUp();
            var manifest = detector.Manifest;
            var info = new LambdaModelInfo(manifest.Name, manifest.Version, detector.Sha256, OutputLayout.Name(detector.Format), detector.ActiveProvider, detector.ClassNames, Math.Round(clock.Elapsed.TotalMilliseconds, 1), detector.Defaulted);
            return new LoadedLambdaModel(pipeline, info);
        }
        catch
        {
            detector.Dispose();
            throw;
        }
    }
}
