using MongoDB.Bson;

namespace Inference.Registry.Models;

public enum ModelStatus
{
    Registered,
    Staging,
    Production,
    Archived,

    /// <summary>Taken out of production without a successor: not deployed again until it is promoted again.</summary>
    Withdrawn,
}

public enum TrainingSource
{
    Roboflow,
    Sagemaker,
    Batch,
    Manual,
}

public enum DeploymentTarget
{
    Ecs,
    Lambda,

    /// <summary>A SageMaker real-time endpoint (deploy/sagemaker): the model's <see cref="ModelArtifact.SagemakerPackage"/>.</summary>
    Sagemaker,
}

/// <summary>A trained model version with its lineage, training facts, pinned artifact and lifecycle status.</summary>
public sealed record ModelDocument
{
    public ObjectId Id { get; init; }

    public required string Name { get; init; }

    /// <summary>Our own version number, assigned as the next per name when registered.</summary>
    public int Version { get; init; }

    public required DatasetReference Dataset { get; init; }

    public TrainingInfo Training { get; init; } = new();

    public required ModelArtifact Artifact { get; init; }

    public ModelStatus Status { get; init; } = ModelStatus.Registered;

    /// <summary>Where it is the production model, while <see cref="Status"/> is production.</summary>
    public DeploymentTarget? ProductionTarget { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public string? GitCommit { get; init; }

    public DateTime CreatedAt { get; init; }

    public required string CreatedBy { get; init; }

    public string Reference => $"{Name}@{Version}";
}

public sealed record DatasetReference(string Name, int Version, ObjectId Id);

public sealed record TrainingInfo
{
    public TrainingSource Source { get; init; } = TrainingSource.Manual;

    public string? Framework { get; init; }

    public string? Architecture { get; init; }

    public int? Epochs { get; init; }

    public int? ImageSize { get; init; }

    public DateTime? StartedAt { get; init; }

    public DateTime? FinishedAt { get; init; }

    public string? JobId { get; init; }

    public string? JobUrl { get; init; }

    /// <summary>The training job's ARN (a SageMaker training job, or an AWS Batch job).</summary>
    public string? JobArn { get; init; }

    /// <summary>The training container, <c>repository@sha256:…</c>: what produced the weights, by content.</summary>
    public string? TrainingImage { get; init; }

    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();

    public TrainingMetrics Metrics { get; init; } = new();
}

public sealed record TrainingMetrics
{
    public double? Map50 { get; init; }

    public double? Map50To95 { get; init; }

    public double? Precision { get; init; }

    public double? Recall { get; init; }
}

/// <summary>The pinned files a service loads, and the facts about them a deployer wants without downloading.</summary>
public sealed record ModelArtifact
{
    public required PinnedFile Weights { get; init; }

    public required PinnedFile Manifest { get; init; }

    public required string Format { get; init; }

    public int InputWidth { get; init; }

    public int InputHeight { get; init; }

    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>
    /// The same model as SageMaker takes it (<c>inference model package-sagemaker</c>): <c>model.tar.gz</c> with the
    /// manifest, weights and golden images, by version and SHA-256. Absent for models never packaged.
    /// </summary>
    public PinnedFile? SagemakerPackage { get; init; }

    /// <summary>The environment variables that pin this artifact in a service or task definition.</summary>
    public IReadOnlyDictionary<string, string> Environment => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["Model__Uri"] = Weights.Uri,
        ["Model__VersionId"] = Weights.VersionId,
        ["Model__Sha256"] = Weights.Sha256 ?? string.Empty,
        ["Model__Manifest"] = Manifest.Uri,
        ["Model__ManifestVersionId"] = Manifest.VersionId,
    };
}

/// <summary>An S3 object version; weights also carry their SHA-256 and size.</summary>
public sealed record PinnedFile(string Uri, string VersionId, string? Sha256 = null, long? Size = null);

/// <summary>An audit entry: one status change of one model.</summary>
public sealed record StatusChange
{
    public ObjectId Id { get; init; }

    public ObjectId ModelId { get; init; }

    public required string Name { get; init; }

    public int Version { get; init; }

    public ModelStatus From { get; init; }

    public ModelStatus To { get; init; }

    public DeploymentTarget? Target { get; init; }

    public DateTime At { get; init; }

    public required string Actor { get; init; }

    public string? Reason { get; init; }
}
