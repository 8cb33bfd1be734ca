namespace Inference.Cli.Models;

/// <summary>What a push produced: the exact object versions and hash a service must be started with.</summary>
public sealed record ModelPin(PinnedModel Model, PinnedWeights Weights, PinnedObject Manifest)
{
    /// <summary>The same model as SageMaker takes it (<c>model package-sagemaker</c>); absent after a plain push.</summary>
    public PinnedPackage? Sagemaker { get; init; }

    /// <summary>The configuration a service (or an ECS task definition) takes, as environment variables.</summary>
    public IReadOnlyDictionary<string, string> Environment => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["Model__Uri"] = Weights.Uri,
        ["Model__VersionId"] = Weights.VersionId,
        ["Model__Sha256"] = Weights.Sha256,
        ["Model__Manifest"] = Manifest.Uri,
        ["Model__ManifestVersionId"] = Manifest.VersionId,
    };
}

public sealed record PinnedModel(string Name, string Version);

public sealed record PinnedWeights(string Uri, string VersionId, string Sha256, long Size);

public sealed record PinnedObject(string Uri, string VersionId);

/// <summary>
/// <c>model.tar.gz</c> for SageMaker: <see cref="Uri"/> is the endpoint model's <c>ModelDataUrl</c>. SageMaker reads
/// the key's newest version and takes no version id, so the key is content-addressed and never written twice;
/// <see cref="VersionId"/> and <see cref="Sha256"/> let a release prove the key still holds exactly this archive.
/// </summary>
public sealed record PinnedPackage(string Uri, string VersionId, string Sha256, long Size);
