using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using Inference.Cli.Errors;
using Inference.Core.Model;
using Inference.Core.Serving;
using Inference.Core.Sources;

namespace Inference.Cli.Models;

/// <summary>The bucket cannot hold pins: without versioning an object's content can change under its name.</summary>
public sealed class BucketNotVersionedException : Exception
{
    public BucketNotVersionedException()
        : base("The bucket does not have versioning enabled.")
    {
    }

    public BucketNotVersionedException(string message)
        : base(message)
    {
    }

    public BucketNotVersionedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <param name="Name">Overrides the manifest's name in the pushed manifest.</param>
/// <param name="Version">Overrides the manifest's version: the registry registers exactly this version.</param>
public sealed record PushRequest(string Weights, string Manifest, string Bucket, string? Prefix = null, string? Name = null, string? Version = null);

/// <summary>What was pushed, and what the model turned out to be when it was checked before the upload.</summary>
public sealed record PushResult(ModelPin Pin, ModelFacts Model);

/// <summary>
/// Checks a model exactly as the service would take it (<see cref="ModelCheck"/>), and only then uploads the weights
/// (multipart when large, with their SHA-256 as object metadata), the golden images and a manifest that pins all of
/// them by version. Nothing reaches S3 for a model the service would refuse.
/// </summary>
public sealed class ModelPusher(IAmazonS3 s3)
{
    public const string Sha256Metadata = "sha256";

    /// <param name="checkedManifest">A manifest already checked with these weights (roboflow import checks before it registers anything); checked here otherwise.</param>
    /// <param name="progress">Bytes of the weights sent so far.</param>
    public async Task<PushResult> PushAsync(PushRequest request, IProgress<long>? progress = null, ModelCheckReport? checkedManifest = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!File.Exists(request.Weights))
        {
            throw new FileNotFoundException($"The weights file '{request.Weights}' does not exist.", request.Weights);
        }

        // The pushed manifest pins these weights' own hash, so the check runs on that manifest, not on a hash the
        // local file may still carry from earlier weights.
        var loaded = ModelManifest.Load(request.Manifest);
        var manifest = loaded with { Name = request.Name ?? loaded.Name, Version = request.Version ?? loaded.Version, Sha256 = null };
        var report = checkedManifest ?? await ModelCheck.RunAsync(new ResolvedModel(manifest, Path.GetFullPath(request.Weights), null), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!report.Passed || report.Model is not { } model)
        {
            throw CliException.ModelInvalid($"'{request.Weights}' with '{request.Manifest}' was not pushed, because the service would refuse it", report.Problems);
        }

        var bucket = request.Bucket;
        await RequireVersioningAsync(bucket, cancellationToken).ConfigureAwait(false);
        var prefix = NormalisePrefix(request.Prefix ?? $"models/{manifest.Name}/");
        var weightsKey = prefix + Path.GetFileName(request.Weights);
        var weights = await UploadFileAsync(bucket, weightsKey, request.Weights, model.Sha256, progress, cancellationToken).ConfigureAwait(false);

        var golden = new List<GoldenCheck>(manifest.Golden.Count);
        foreach (var check in manifest.Golden)
        {
            var image = manifest.ResolvePath(check.Image);
            var key = prefix + "golden/" + Path.GetFileName(image);
            var uploaded = await UploadFileAsync(bucket, key, image, Sha256.OfFile(image), null, cancellationToken).ConfigureAwait(false);
            golden.Add(check with { Image = uploaded.ToPinnedUri() });
        }

        var pinned = manifest with { Sha256 = model.Sha256, Weights = Path.GetFileName(request.Weights), Golden = golden };
        var manifestKey = prefix + "manifest.json";
        var put = await S3Faults.GuardAsync(s3, "PutObject", bucket, manifestKey, () => s3.PutObjectAsync(
            new PutObjectRequest { BucketName = bucket, Key = manifestKey, ContentBody = pinned.ToJson(), ContentType = "application/json" },
            cancellationToken)).ConfigureAwait(false);

        var pin = new ModelPin(
            new PinnedModel(manifest.Name, manifest.Version),
            new PinnedWeights(weights.Uri, weights.VersionId!, model.Sha256, new FileInfo(request.Weights).Length),
            new PinnedObject(new S3ObjectRef(bucket, manifestKey).Uri, put.VersionId));
        return new PushResult(pin, model);
    }

    private async Task RequireVersioningAsync(string bucket, CancellationToken cancellationToken)
    {
        var versioning = await S3Faults.GuardAsync(s3, "GetBucketVersioning", bucket, null, () => s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket }, cancellationToken)).ConfigureAwait(false);
        if (versioning.VersioningConfig?.Status != VersionStatus.Enabled)
        {
            throw new BucketNotVersionedException(
                $"Bucket '{bucket}' does not have versioning enabled (status: {versioning.VersioningConfig?.Status?.Value ?? "never enabled"}). " +
                $"A pin names an exact object version, so enable it first: aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled");
        }
    }

    /// <summary>Uploads one file (multipart when large) with its SHA-256 as metadata; the bucket must be versioned.</summary>
    internal async Task<S3ObjectRef> UploadFileAsync(string bucket, string key, string path, string sha256, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        // TransferUtility switches to a parallel multipart upload for large files.
        using var transfer = new TransferUtility(s3);
        var request = new TransferUtilityUploadRequest { BucketName = bucket, Key = key, FilePath = path };
        request.Metadata.Add(Sha256Metadata, sha256);
        if (progress is not null)
        {
            request.UploadProgressEvent += (_, e) => progress.Report(e.TransferredBytes);
        }

        var response = await S3Faults.GuardAsync(s3, "an upload", bucket, key, () => transfer.UploadWithResponseAsync(request, cancellationToken)).ConfigureAwait(false);
        if (string.IsNullOrEmpty(response.VersionId))
        {
            throw new BucketNotVersionedException($"S3 returned no version id for s3://{bucket}/{key}; is versioning suspended on '{bucket}'?");
        }

        return new S3ObjectRef(bucket, key, response.VersionId);
    }

    internal static string NormalisePrefix(string prefix)
    {
        prefix = prefix.Trim('/');
        return prefix.Length == 0 ? string.Empty : prefix + "/";
    }
}
