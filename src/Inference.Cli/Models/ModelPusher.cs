using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using Inference.Core.Model;
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

/// <summary>
/// Uploads weights (multipart when large, with their SHA-256 as object metadata), golden images and a manifest that
/// pins all of them by version, then returns the pin.
/// </summary>
public sealed class ModelPusher(IAmazonS3 s3)
{
    public const string Sha256Metadata = "sha256";

    public async Task<ModelPin> PushAsync(string weightsPath, string manifestPath, string bucket, string? prefix, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(weightsPath))
        {
            throw new FileNotFoundException($"The weights file '{weightsPath}' does not exist.", weightsPath);
        }

        var manifest = ModelManifest.Load(manifestPath);
        await RequireVersioningAsync(bucket, cancellationToken).ConfigureAwait(false);
        prefix = NormalisePrefix(prefix ?? $"models/{manifest.Name}/");

        var sha256 = Sha256.OfFile(weightsPath);
        var weightsKey = prefix + Path.GetFileName(weightsPath);
        var weights = await UploadFileAsync(bucket, weightsKey, weightsPath, sha256, cancellationToken).ConfigureAwait(false);

        var golden = new List<GoldenCheck>(manifest.Golden.Count);
        foreach (var check in manifest.Golden)
        {
            var image = manifest.ResolvePath(check.Image);
            var key = prefix + "golden/" + Path.GetFileName(image);
            var uploaded = await UploadFileAsync(bucket, key, image, Sha256.OfFile(image), cancellationToken).ConfigureAwait(false);
            golden.Add(check with { Image = uploaded.ToPinnedUri() });
        }

        var pinned = manifest with { Sha256 = sha256, Weights = Path.GetFileName(weightsPath), Golden = golden };
        var manifestKey = prefix + "manifest.json";
        var put = await s3.PutObjectAsync(
            new PutObjectRequest { BucketName = bucket, Key = manifestKey, ContentBody = pinned.ToJson(), ContentType = "application/json" },
            cancellationToken).ConfigureAwait(false);

        return new ModelPin(
            new PinnedModel(manifest.Name, manifest.Version),
            new PinnedWeights(weights.Uri, weights.VersionId!, sha256, new FileInfo(weightsPath).Length),
            new PinnedObject(new S3ObjectRef(bucket, manifestKey).Uri, put.VersionId));
    }

    private async Task RequireVersioningAsync(string bucket, CancellationToken cancellationToken)
    {
        var versioning = await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
        if (versioning.VersioningConfig?.Status != VersionStatus.Enabled)
        {
            throw new BucketNotVersionedException(
                $"Bucket '{bucket}' does not have versioning enabled (status: {versioning.VersioningConfig?.Status?.Value ?? "never enabled"}). " +
                $"A pin names an exact object version, so enable it first: aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled");
        }
    }

    private async Task<S3ObjectRef> UploadFileAsync(string bucket, string key, string path, string sha256, CancellationToken cancellationToken)
    {
        // TransferUtility switches to a parallel multipart upload for large files.
        using var transfer = new TransferUtility(s3);
        var request = new TransferUtilityUploadRequest { BucketName = bucket, Key = key, FilePath = path };
        request.Metadata.Add(Sha256Metadata, sha256);
        var response = await transfer.UploadWithResponseAsync(request, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(response.VersionId))
        {
            throw new BucketNotVersionedException($"S3 returned no version id for s3://{bucket}/{key}; is versioning suspended on '{bucket}'?");
        }

        return new S3ObjectRef(bucket, key, response.VersionId);
    }

    private static string NormalisePrefix(string prefix)
    {
        prefix = prefix.Trim('/');
        return prefix.Length == 0 ? string.Empty : prefix + "/";
    }
}
