using Inference.Registry.Models;
using MongoDB.Bson;

namespace Inference.Registry.Deployments;

public enum DeploymentEnvironment
{
    Staging,
    Production,
}

public enum DeploymentStrategy
{
    BlueGreen,
    Canary,
    Linear,
    AllAtOnce,

    /// <summary>Two models side by side on weighted SageMaker variants (current and candidate).</summary>
    AbTest,
}

public enum DeploymentStatus
{
    InProgress,
    Succeeded,
    Failed,
    RolledBack,
    Stopped,
}

/// <summary>One release of one model version to one environment and target: the audit trail rollbacks read.</summary>
public sealed record DeploymentDocument
{
    public ObjectId Id { get; init; }

    public required string ModelName { get; init; }

    public int ModelVersion { get; init; }

    public ObjectId ModelId { get; init; }

    public DeploymentEnvironment Environment { get; init; }

    public DeploymentTarget Target { get; init; }

    public DeploymentStrategy Strategy { get; init; }

    /// <summary>The container image, <c>repository@sha256:…</c>.</summary>
    public string? Image { get; init; }

    public string? TaskDefinitionArn { get; init; }

    public string? LambdaVersion { get; init; }

    public string? LambdaAlias { get; init; }

    public string? CodeDeployDeploymentId { get; init; }

    /// <summary>For SageMaker: the endpoint configuration the release put on the endpoint (what a rollback puts back).</summary>
    public string? EndpointConfigName { get; init; }

    public DeploymentStatus Status { get; init; } = DeploymentStatus.InProgress;

    public DateTime StartedAt { get; init; }

    public DateTime? FinishedAt { get; init; }

    public required string Actor { get; init; }

    public string? Commit { get; init; }

    /// <summary>The deployment that was current when this one started: what a rollback returns to.</summary>
    public ObjectId? PreviousDeploymentId { get; init; }

    /// <summary>
    /// For a rollback: the release it puts back (its model, image and task definition). A rollback of a rollback
    /// names the original release, so the chain of rollback targets never turns back to the release rolled away from.
    /// </summary>
    public ObjectId? RestoresDeploymentId { get; init; }

    public string? Reason { get; init; }
}
