using Inference.Core.Sources;

namespace Inference.Api.Hosting;

/// <summary>
/// Which model to serve (configuration section <c>Model</c>): a local file by default, or weights pinned in S3 by
/// URI, VersionId and SHA-256, with the manifest given as a path or as its own pinned URI.
/// </summary>
public sealed class ModelOptions
{
    public const string Section = "Model";

    /// <summary>The manifest: a path (relative to the content root or the app directory) or <c>s3://bucket/key</c>.</summary>
    public string Manifest { get; set; } = "models/shapes-demo/manifest.json";

    /// <summary>The S3 VersionId of an <c>s3://</c> manifest.</summary>
    public string? ManifestVersionId { get; set; }

    /// <summary>Local ONNX weights; the manifest's <c>weights</c> entry when absent.</summary>
    public string? Path { get; set; }

    /// <summary>Pinned weights: <c>s3://bucket/key</c>.</summary>
    public string? Uri { get; set; }

    /// <summary>The S3 VersionId of the weights.</summary>
    public string? VersionId { get; set; }

    /// <summary>The SHA-256 the weights must hash to; required with <see cref="Uri"/>.</summary>
    public string? Sha256 { get; set; }

    /// <summary>Where downloaded weights are kept, by hash, across restarts.</summary>
    public string CacheDirectory { get; set; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "inference-model-cache");

    /// <summary>Download, load and warm-up must finish within this; past it the service stays not ready.</summary>
    public int StartupTimeoutSeconds { get; set; } = 600;

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Manifest))
        {
            yield return "Model:Manifest must name the model manifest.";
        }
        else if (S3ObjectRef.IsS3Uri(Manifest) && !S3ObjectRef.TryParse(Manifest, ManifestVersionId, out _))
        {
            yield return $"Model:Manifest must be s3://bucket/key when it names S3 (got '{Manifest}').";
        }

        if (Uri is not null)
        {
            if (!S3ObjectRef.TryParse(Uri, VersionId, out _))
            {
                yield return $"Model:Uri must be an s3://bucket/key URI (got '{Uri}').";
            }

            if (string.IsNullOrWhiteSpace(Sha256))
            {
                yield return "Model:Sha256 is required with an S3 Model:Uri: the service only serves weights whose hash it knows.";
            }

            if (Path is not null)
            {
                yield return "Set either Model:Path or Model:Uri, not both.";
            }
        }

        if (Sha256 is { Length: > 0 } sha && !Core.Model.Sha256.IsValidHex(sha))
        {
            yield return $"Model:Sha256 must be 64 hexadecimal characters (got '{sha}').";
        }

        if (StartupTimeoutSeconds < 1)
        {
            yield return $"Model:StartupTimeoutSeconds must be positive (got {StartupTimeoutSeconds}).";
        }
    }
}

/// <summary>What one request may carry (configuration section <c>Limits</c>).</summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    public long MaxBodyBytes { get; set; } = 20 * 1024 * 1024;

    public int MaxImagesPerRequest { get; set; } = 16;

    public long MaxPixels { get; set; } = 40_000_000;

    public int MaxSide { get; set; } = 16_384;

    /// <summary>The deadline for one request, queueing included; beyond it the answer is 503.</summary>
    public int RequestTimeoutMs { get; set; } = 30_000;

    public IEnumerable<string> Validate()
    {
        if (MaxBodyBytes is < 1024 or > 1L << 30)
        {
            yield return $"Limits:MaxBodyBytes must be between 1 KiB and 1 GiB (got {MaxBodyBytes}).";
        }

        if (MaxImagesPerRequest is < 1 or > 256)
        {
            yield return $"Limits:MaxImagesPerRequest must be between 1 and 256 (got {MaxImagesPerRequest}).";
        }

        if (MaxPixels < 1)
        {
            yield return $"Limits:MaxPixels must be positive (got {MaxPixels}).";
        }

        if (MaxSide < 1)
        {
            yield return $"Limits:MaxSide must be positive (got {MaxSide}).";
        }

        if (RequestTimeoutMs < 1)
        {
            yield return $"Limits:RequestTimeoutMs must be positive (got {RequestTimeoutMs}).";
        }
    }
}

/// <summary>Graceful shutdown (configuration section <c>Shutdown</c>): ECS sends SIGTERM, then SIGKILL after stopTimeout.</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>How long the service keeps serving after SIGTERM while the load balancer takes it out of rotation.</summary>
    public int DrainDelaySeconds { get; set; } = 5;

    /// <summary>The whole shutdown, drain included, must finish within this bound.</summary>
    public int TimeoutSeconds { get; set; } = 25;

    public IEnumerable<string> Validate()
    {
        if (DrainDelaySeconds < 0)
        {
            yield return $"Shutdown:DrainDelaySeconds must not be negative (got {DrainDelaySeconds}).";
        }

        if (TimeoutSeconds <= DrainDelaySeconds)
        {
            yield return $"Shutdown:TimeoutSeconds ({TimeoutSeconds}) must exceed Shutdown:DrainDelaySeconds ({DrainDelaySeconds}) to leave time for in-flight batches.";
        }
    }
}
