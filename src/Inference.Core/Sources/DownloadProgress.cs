namespace Inference.Core.Sources;

/// <summary>How far a download has come, for readiness reasons and logs.</summary>
public readonly record struct DownloadProgress(S3ObjectRef Target, long BytesDone, long TotalBytes)
{
    public override string ToString() =>
        FormattableString.Invariant($"Downloading {Target}: {BytesDone / 1048576.0:0.0} of {TotalBytes / 1048576.0:0.0} MiB ({(TotalBytes == 0 ? 100 : 100.0 * BytesDone / TotalBytes):0}%).");
}

/// <summary>What a fetch did: where the file is, and whether it came from the cache.</summary>
public sealed record FetchedFile(string Path, string Sha256, long Bytes, bool FromCache, TimeSpan Duration);
