using System.Security.Cryptography;
using System.Text;
using Inference.Core.Model;

namespace Inference.Core.Sources;

/// <summary>Where a model comes from: its manifest (a path or an S3 URI) and its weights (a path, or an S3 pin).</summary>
/// <param name="Manifest">A local path, or <c>s3://bucket/key</c> (with <paramref name="ManifestVersionId"/>).</param>
/// <param name="WeightsPath">Local weights; the manifest's <c>weights</c> entry when absent and no pin is given.</param>
/// <param name="Weights">Pinned weights in S3 and the SHA-256 they must have.</param>
public sealed record ModelSpec(string Manifest, string? ManifestVersionId = null, string? WeightsPath = null, WeightsPin? Weights = null)
{
    /// <summary>Whether resolving it needs an S3 client (pinned weights or an s3:// manifest).</summary>
    public bool UsesS3 => Weights is not null || S3ObjectRef.IsS3Uri(Manifest);
}

/// <summary>Weights named by S3 object version and content hash.</summary>
public sealed record WeightsPin(S3ObjectRef Location, string Sha256);

/// <summary>A model ready to load: its manifest (golden images made local) and the path of verified weights.</summary>
public sealed record ResolvedModel(ModelManifest Manifest, string WeightsPath, FetchedFile? Download);

/// <summary>
/// Turns a <see cref="ModelSpec"/> into local files: pinned weights through the content-addressed cache, an S3
/// manifest read by version, and golden images that the manifest names by S3 URI fetched beside it.
/// </summary>
public sealed class ModelResolver(ModelCache cache, S3ObjectFetcher? fetcher)
{
    private const long MaxManifestBytes = 1 << 20;
    private const long MaxGoldenImageBytes = 64L << 20;

    public async Task<ResolvedModel> ResolveAsync(ModelSpec spec, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var manifest = S3ObjectRef.TryParse(spec.Manifest, spec.ManifestVersionId, out var manifestObject)
            ? await ReadManifestAsync(manifestObject, cancellationToken).ConfigureAwait(false)
            : ModelManifest.Load(spec.Manifest);

        if (spec.Weights is not { } pin)
        {
            var path = spec.WeightsPath ?? manifest.ResolvePath(manifest.Weights ?? throw new ModelLoadException("Neither Model:Path nor the manifest's 'weights' names the ONNX file."));
            return new ResolvedModel(manifest, path, null);
        }

        if (manifest.Sha256 is { } declared && !string.Equals(declared, pin.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelSourceException(
                ModelSourceFailure.ChecksumMismatch,
                $"Checksum mismatch: the manifest pins the weights at SHA-256 {declared}, but Model:Sha256 is {pin.Sha256}.");
        }

        var download = await Fetcher.FetchAsync(pin.Location, pin.Sha256, cache, progress, cancellationToken).ConfigureAwait(false);
        return new ResolvedModel(manifest with { Sha256 = pin.Sha256.ToLowerInvariant() }, download.Path, download);
    }

    private S3ObjectFetcher Fetcher => fetcher ?? throw new InvalidOperationException("An S3 source needs an S3 fetcher.");

    private async Task<ModelManifest> ReadManifestAsync(S3ObjectRef location, CancellationToken cancellationToken)
    {
        var json = Encoding.UTF8.GetString(await Fetcher.ReadAsync(location, MaxManifestBytes, cancellationToken).ConfigureAwait(false));
        var folder = Path.Combine(cache.Directory, "objects", Digest(location.ToPinnedUri()));
        Directory.CreateDirectory(folder);
        var manifest = ModelManifest.Parse(json, folder, location.ToString());

        // Golden images live in S3 beside the manifest, ideally pinned by version ('model push' writes them so).
        var golden = new List<GoldenCheck>(manifest.Golden.Count);
        foreach (var check in manifest.Golden)
        {
            var image = S3ObjectRef.TryParse(check.Image, null, out var pinned) ? pinned : location with { Key = Combine(location.Key, check.Image), VersionId = null };
            golden.Add(check with { Image = await CacheSmallObjectAsync(image, cancellationToken).ConfigureAwait(false) });
        }

        return manifest with { Golden = golden };
    }

    /// <summary>Small versioned objects are immutable, so a copy cached under their version is reused as is.</summary>
    private async Task<string> CacheSmallObjectAsync(S3ObjectRef location, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(cache.Directory, "objects", Digest(location.ToPinnedUri()));
        var path = Path.Combine(folder, location.FileName);
        if (location.VersionId is not null && File.Exists(path))
        {
            return path;
        }

        Directory.CreateDirectory(folder);
        var bytes = await Fetcher.ReadAsync(location, MaxGoldenImageBytes, cancellationToken).ConfigureAwait(false);
        var temporary = Path.Combine(folder, $".download-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken).ConfigureAwait(false);
        return ModelCache.Commit(temporary, path);
    }

    private static string Combine(string manifestKey, string relative)
    {
        var folder = manifestKey.LastIndexOf('/') is var slash and >= 0 ? manifestKey[..(slash + 1)] : string.Empty;
        return folder + relative.TrimStart('/');
    }

    private static string Digest(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
}
