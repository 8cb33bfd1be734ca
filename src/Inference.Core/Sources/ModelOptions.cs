namespace Inference.Core.Sources;

/// <summary>
/// Which model to serve (configuration section <c>Model</c> for the default model, <c>Models:&lt;id&gt;</c> for more):
/// a local file by default, or weights pinned in S3 by URI, VersionId and SHA-256, with the manifest given as a path
/// or as its own pinned URI.
/// </summary>
public sealed class ModelOptions
{
    public const string Section = "Model";

    /// <summary>The default model's id in <c>/v1/models</c>; models under <c>Models</c> take their key.</summary>
    public string Id { get; set; } = "default";

    /// <summary>Backend instances for this model; <c>Inference:Instances</c> (or the provider's default) when absent.</summary>
    public int? Instances { get; set; }

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

    public static string DefaultCacheDirectory { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "inference-model-cache");

    /// <summary>Where downloaded weights are kept, by hash, across restarts (and TensorRT engines, by the weights' hash).</summary>
    public string CacheDirectory { get; set; } = DefaultCacheDirectory;

    /// <summary>How images travel to the model: its own float32 input, or uint8 with the input stage merged in front.</summary>
    public Backends.InputUpload Upload { get; set; } = Backends.InputUpload.Float32;

    public Backends.ModelBackendSettings BackendSettings => new(Instances, Upload, CacheDirectory);

    /// <summary>Download, load and warm-up must finish within this; past it the service stays not ready.</summary>
    public int StartupTimeoutSeconds { get; set; } = 600;

    /// <summary>What to resolve: relative paths against <paramref name="contentRoot"/>, then the app directory.</summary>
    public ModelSpec ToSpec(string contentRoot)
    {
        var manifest = S3ObjectRef.IsS3Uri(Manifest) ? Manifest : ContentPaths.Resolve(Manifest, contentRoot);
        if (Uri is { } uri && S3ObjectRef.TryParse(uri, VersionId, out var weights))
        {
            return new ModelSpec(manifest, ManifestVersionId, null, new WeightsPin(weights, Sha256!));
        }

        var path = Path is { } local ? ContentPaths.Resolve(local, contentRoot) : null;
        return new ModelSpec(manifest, ManifestVersionId, path);
    }

    /// <summary>Problems with these settings, each naming its key under <paramref name="section"/> (e.g. <c>Models:coco</c>).</summary>
    public IEnumerable<string> Validate(string section = Section)
    {
        if (string.IsNullOrWhiteSpace(Manifest))
        {
            yield return $"{section}:Manifest must name the model manifest.";
        }
        else if (S3ObjectRef.IsS3Uri(Manifest) && !S3ObjectRef.TryParse(Manifest, ManifestVersionId, out _))
        {
            yield return $"{section}:Manifest must be s3://bucket/key when it names S3 (got '{Manifest}').";
        }

        if (Uri is not null)
        {
            if (!S3ObjectRef.TryParse(Uri, VersionId, out _))
            {
                yield return $"{section}:Uri must be an s3://bucket/key URI (got '{Uri}').";
            }

            if (string.IsNullOrWhiteSpace(Sha256))
            {
                yield return $"{section}:Sha256 is required with an S3 {section}:Uri: the service only serves weights whose hash it knows.";
            }

            if (Path is not null)
            {
                yield return $"Set either {section}:Path or {section}:Uri, not both.";
            }
        }

        if (Sha256 is { Length: > 0 } sha && !Model.Sha256.IsValidHex(sha))
        {
            yield return $"{section}:Sha256 must be 64 hexadecimal characters (got '{sha}').";
        }

        if (StartupTimeoutSeconds < 1)
        {
            yield return $"{section}:StartupTimeoutSeconds must be positive (got {StartupTimeoutSeconds}).";
        }

        if (Instances is < 1 or > 64)
        {
            yield return $"{section}:Instances must be between 1 and 64 (got {Instances}).";
        }
    }
}
