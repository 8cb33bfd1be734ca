using Inference.Cli.Errors;
using Inference.Core.Serving;
using Inference.Core.Sources;
using Inference.Registry.Models;

namespace Inference.Cli.Models;

/// <summary>
/// Checks a pin the way the service would serve it, and builds the registry's artifact from what the check found:
/// the manifest read by version, the weights fetched by version and hash, the golden images beside them, then
/// <see cref="ModelCheck"/>. So the registry's format, input and classes are the model's own, never a guess.
/// </summary>
internal static class ArtifactFactory
{
    public static async Task<ModelFacts> CheckPinAsync(ModelPin pin, S3Options options, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pin);
        if (!S3ObjectRef.TryParse(pin.Weights.Uri, pin.Weights.VersionId, out var weights) || !S3ObjectRef.IsS3Uri(pin.Manifest.Uri))
        {
            throw CliException.Usage($"The pin must name its weights and manifest by s3:// URI (got '{pin.Weights.Uri}' and '{pin.Manifest.Uri}').");
        }

        var cache = Directory.CreateTempSubdirectory("inference-pin-");
        try
        {
            using var s3 = options.CreateClient(sdkRetries: false);
            var resolver = new ModelResolver(new ModelCache(cache.FullName), new S3ObjectFetcher(s3, options));
            var resolved = await resolver.ResolveAsync(
                new ModelSpec(pin.Manifest.Uri, pin.Manifest.VersionId, null, new WeightsPin(weights, pin.Weights.Sha256)),
                progress is null ? null : new BytesDone(progress),
                cancellationToken).ConfigureAwait(false);
            var report = await ModelCheck.RunAsync(resolved, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!report.Passed || report.Model is not { } facts)
            {
                throw CliException.ModelInvalid($"The pinned model {pin.Model.Name} {pin.Model.Version} was not registered, because the service would refuse it", report.Problems);
            }

            if ((facts.Name, facts.Version) != (pin.Model.Name, pin.Model.Version))
            {
                throw CliException.Usage($"The pin says {pin.Model.Name} {pin.Model.Version}, but its manifest {pin.Manifest.Uri} says {facts.Name} {facts.Version}; use the pin that push printed for it.");
            }

            if (pin.Sagemaker is { } package)
            {
                await CheckPackageAsync(s3, package, cancellationToken).ConfigureAwait(false);
            }

            return facts;
        }
        finally
        {
            cache.Delete(recursive: true);
        }
    }

    /// <summary>The SageMaker archive is where the pin says, as that version, with that hash and size.</summary>
    private static async Task CheckPackageAsync(Amazon.S3.IAmazonS3 s3, PinnedPackage package, CancellationToken cancellationToken)
    {
        if (!S3ObjectRef.TryParse(package.Uri, package.VersionId, out var archive))
        {
            throw CliException.Usage($"The pin's SageMaker package must be an s3:// URI (got '{package.Uri}').");
        }

        var head = await S3Faults.GuardAsync(s3, "HeadObject", archive.Bucket, archive.Key, () => s3.GetObjectMetadataAsync(
            new Amazon.S3.Model.GetObjectMetadataRequest { BucketName = archive.Bucket, Key = archive.Key, VersionId = archive.VersionId },
            cancellationToken)).ConfigureAwait(false);
        var sha256 = head.Metadata[ModelPusher.Sha256Metadata];
        if (!string.Equals(sha256, package.Sha256, StringComparison.Ordinal) || head.ContentLength != package.Size)
        {
            throw CliException.Usage(
                $"The pin's SageMaker package {archive} has sha256 {(string.IsNullOrEmpty(sha256) ? "unknown" : sha256)} and {head.ContentLength} bytes, not {package.Sha256} and {package.Size}; use the pin that package-sagemaker printed for it.");
        }
    }

    public static ModelArtifact From(ModelPin pin, ModelFacts facts)
    {
        ArgumentNullException.ThrowIfNull(pin);
        ArgumentNullException.ThrowIfNull(facts);
        return new ModelArtifact
        {
            Weights = new PinnedFile(pin.Weights.Uri, pin.Weights.VersionId, pin.Weights.Sha256, pin.Weights.Size),
            Manifest = new PinnedFile(pin.Manifest.Uri, pin.Manifest.VersionId),
            Format = facts.Format,
            InputWidth = facts.Input.Width,
            InputHeight = facts.Input.Height,
            Classes = facts.Classes,
            SagemakerPackage = pin.Sagemaker is { } package ? new PinnedFile(package.Uri, package.VersionId, package.Sha256, package.Size) : null,
        };
    }

    private sealed class BytesDone(IProgress<long> progress) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => progress.Report(value.BytesDone);
    }
}
