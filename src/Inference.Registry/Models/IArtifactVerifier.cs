using Amazon.S3;
using Amazon.S3.Model;
using Inference.Core.Sources;
using Inference.Registry.Storage;

namespace Inference.Registry.Models;

/// <summary>Proves an artifact pin names objects that exist, with the hash it claims, before a model is registered.</summary>
public interface IArtifactVerifier
{
    Task VerifyAsync(ModelArtifact artifact, CancellationToken cancellationToken = default);
}

/// <summary>
/// Checks the pinned versions in S3: the manifest version exists, and the weights version exists and hashes to the
/// pinned SHA-256. The hash is read from the object's <c>sha256</c> metadata that <c>model push</c> writes; weights
/// uploaded some other way are downloaded and hashed instead.
/// </summary>
public sealed class S3ArtifactVerifier(IAmazonS3 s3, S3Options options) : IArtifactVerifier
{
    public async Task VerifyAsync(ModelArtifact artifact, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        var weights = Parse(artifact.Weights, "weights");
        var manifest = Parse(artifact.Manifest, "manifest");
        var sha256 = artifact.Weights.Sha256 is { } sha && Core.Model.Sha256.IsValidHex(sha)
            ? sha.ToLowerInvariant()
            : throw new RegistryException(RegistryFailure.InvalidArtifact, $"The weights pin needs a 64-character SHA-256 (got '{artifact.Weights.Sha256}').");

        await HeadAsync(manifest, cancellationToken).ConfigureAwait(false);
        var head = await HeadAsync(weights, cancellationToken).ConfigureAwait(false);
        var recorded = head.Metadata["sha256"];
        if (recorded is not null)
        {
            if (!string.Equals(recorded, sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new RegistryException(RegistryFailure.InvalidArtifact, $"{weights} has SHA-256 {recorded}, but the pin says {sha256}.");
            }

            return;
        }

        var cache = Directory.CreateTempSubdirectory("registry-verify-");
        try
        {
            await new S3ObjectFetcher(s3, options).FetchAsync(weights, sha256, new ModelCache(cache.FullName), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ModelSourceException ex)
        {
            throw new RegistryException(RegistryFailure.InvalidArtifact, ex.Message, ex);
        }
        finally
        {
            cache.Delete(recursive: true);
        }
    }

    private async Task<GetObjectMetadataResponse> HeadAsync(S3ObjectRef target, CancellationToken cancellationToken)
    {
        try
        {
            return await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = target.Bucket, Key = target.Key, VersionId = target.VersionId }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex)
        {
            throw new RegistryException(RegistryFailure.InvalidArtifact, $"The pinned {target} cannot be read from S3: {(int)ex.StatusCode} {ex.ErrorCode ?? ex.Message}.", ex);
        }
    }

    private static S3ObjectRef Parse(PinnedFile file, string what) =>
        S3ObjectRef.TryParse(file.Uri, file.VersionId, out var target) && target.VersionId is not null
            ? target
            : throw new RegistryException(RegistryFailure.InvalidArtifact, $"The {what} pin must be an s3:// URI with a version id (got '{file.Uri}', version '{file.VersionId}').");
}
