using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Inference.Cli.Errors;
using Inference.Core.Model;
using Inference.Core.Sources;

namespace Inference.Cli.Models;

/// <summary>
/// The model as SageMaker takes it. SageMaker unpacks <c>model.tar.gz</c> into <c>/opt/ml/model</c>, where the
/// container (started with <c>serve</c>) finds <c>manifest.json</c>, the weights and the golden images beside it. The
/// model is first pushed and pinned exactly as <c>model push</c> does (<see cref="ModelPusher"/>, which checks it as the
/// service would), so the registry can register the same pin; the archive is then built from the same files.
/// </summary>
/// <remarks>
/// SageMaker's <c>ModelDataUrl</c> takes no object version, and new instances (a scale-out, a replaced host) fetch the
/// key again. So the archive is byte-for-byte reproducible (ustar entries in name order, no timestamps, owner 0) and
/// lives under its own SHA-256: <c>PREFIX/sagemaker/SHA256/model.tar.gz</c>. Packaging again finds the key and reuses
/// it; a key that holds anything else is refused, never overwritten.
/// </remarks>
public sealed class SageMakerPackager(IAmazonS3 s3)
{
    public const string ArchiveName = "model.tar.gz";
    public const string ManifestName = "manifest.json";
    public const string GoldenFolder = "golden";

    /// <param name="progress">Bytes of the weights sent so far (the push, then the archive).</param>
    /// <exception cref="CliException">The model fails its check (exit 2), or the archive's key holds other bytes (exit 4).</exception>
    public async Task<PushResult> PackageAsync(PushRequest request, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pusher = new ModelPusher(s3);
        var pushed = await pusher.PushAsync(request, progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        var weights = S3ObjectRef.TryParse(pushed.Pin.Weights.Uri, null, out var pinned)
            ? pinned
            : throw new InvalidOperationException($"The push returned weights at '{pushed.Pin.Weights.Uri}', not an s3:// URI.");
        var prefix = weights.Key[..(weights.Key.LastIndexOf('/') + 1)];

        var scratch = Directory.CreateTempSubdirectory("inference-sagemaker-");
        try
        {
            var archive = Path.Combine(scratch.FullName, ArchiveName);
            await WriteArchiveAsync(request, pushed.Model.Sha256, archive, cancellationToken).ConfigureAwait(false);
            var sha256 = Sha256.OfFile(archive);
            var size = new FileInfo(archive).Length;
            var key = $"{prefix}sagemaker/{sha256}/{ArchiveName}";
            var version = await ExistingVersionAsync(weights.Bucket, key, sha256, cancellationToken).ConfigureAwait(false)
                ?? (await pusher.UploadFileAsync(weights.Bucket, key, archive, sha256, progress, cancellationToken).ConfigureAwait(false)).VersionId!;
            var package = new PinnedPackage(new S3ObjectRef(weights.Bucket, key).Uri, version, sha256, size);
            return pushed with { Pin = pushed.Pin with { Sagemaker = package } };
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Writes the archive: the pushed manifest's identity and weights hash, with the weights and golden images as
    /// files beside it (the container has no S3 pin to follow).
    /// </summary>
    internal static async Task WriteArchiveAsync(PushRequest request, string weightsSha256, string archive, CancellationToken cancellationToken)
    {
        var loaded = ModelManifest.Load(request.Manifest);
        var weightsName = Path.GetFileName(request.Weights);
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal) { [weightsName] = Path.GetFullPath(request.Weights) };
        var golden = new List<GoldenCheck>(loaded.Golden.Count);
        foreach (var check in loaded.Golden)
        {
            var name = $"{GoldenFolder}/{Path.GetFileName(check.Image)}";
            if (!entries.TryAdd(name, loaded.ResolvePath(check.Image)))
            {
                throw CliException.Usage($"Two golden images of '{request.Manifest}' are named {Path.GetFileName(check.Image)}; SageMaker's archive keeps them side by side in {GoldenFolder}/, so rename one.");
            }

            golden.Add(check with { Image = name });
        }

        var manifest = loaded with
        {
            Name = request.Name ?? loaded.Name,
            Version = request.Version ?? loaded.Version,
            Sha256 = weightsSha256,
            Weights = weightsName,
            Golden = golden,
            Schema = null,
        };

        await using var file = File.Create(archive);
        await using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
        {
            await using var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true);
            await WriteEntryAsync(tar, ManifestName, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest.ToJson() + "\n")), cancellationToken).ConfigureAwait(false);
            foreach (var (name, path) in entries)
            {
                await using var content = File.OpenRead(path);
                await WriteEntryAsync(tar, name, content, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task WriteEntryAsync(TarWriter tar, string name, Stream content, CancellationToken cancellationToken)
    {
        // Fixed metadata: the same files always make the same archive, so the same key.
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = content,
            ModificationTime = DateTimeOffset.UnixEpoch,
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            Uid = 0,
            Gid = 0,
            UserName = string.Empty,
            GroupName = string.Empty,
        };
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The version of the archive already at <paramref name="key"/>, or null when the key is free.</summary>
    private async Task<string?> ExistingVersionAsync(string bucket, string key, string sha256, CancellationToken cancellationToken)
    {
        GetObjectMetadataResponse head;
        try
        {
            head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception ex) when (ex is AmazonS3Exception or Amazon.Runtime.AmazonClientException or HttpRequestException or IOException)
        {
            throw S3Faults.Describe(ex, S3Faults.Endpoint(s3), "HeadObject", bucket, key);
        }

        var stored = head.Metadata[ModelPusher.Sha256Metadata];
        return string.Equals(stored, sha256, StringComparison.Ordinal) && !string.IsNullOrEmpty(head.VersionId)
            ? head.VersionId
            : throw new CliException(
                ExitCode.Conflict,
                "conflict",
                $"s3://{bucket}/{key} exists but holds another archive (sha256 {(string.IsNullOrEmpty(stored) ? "unknown" : stored)}); a SageMaker package key is written once. Delete that object or push under another --prefix.");
    }
}
