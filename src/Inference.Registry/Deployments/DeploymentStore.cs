using Inference.Registry.Models;
using Inference.Registry.Storage;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace Inference.Registry.Deployments;

/// <summary>
/// Where a rollback goes: the deployment serving now, the earlier one a rollback would put back, the model that would
/// then serve, and the deployments passed over on the way because their model may not serve any more.
/// </summary>
public sealed record RollbackTarget(
    DeploymentDocument Current,
    ModelDocument? CurrentModel,
    DeploymentDocument Target,
    ModelDocument Model,
    IReadOnlyList<PassedOver> PassedOver);

/// <summary>An earlier deployment a rollback skips, and why.</summary>
public sealed record PassedOver(DeploymentDocument Deployment, string Reason);

/// <summary>The deployment audit trail: start, finish, list, the current one, and the rollback target.</summary>
public sealed class DeploymentStore(RegistryDatabase database, ModelStore models)
{
    // A chain of rollbacks longer than this is a corrupted trail, not history.
    private const int MaxRollbackSteps = 100;

    private IMongoCollection<DeploymentDocument> Deployments => database.Deployments;

    /// <summary>
    /// Records a deployment in progress, remembering which deployment was current when it began. A second one in
    /// progress for the same environment and target is refused (the database's partial unique index decides, so two
    /// racing starts cannot both win); a rollback names the release it puts back.
    /// </summary>
    public async Task<DeploymentDocument> StartAsync(DeploymentDocument draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (draft.Image is not null && ImageReference.Problem(draft.Image) is { } imageProblem)
        {
            throw new RegistryException(RegistryFailure.Conflict, imageProblem);
        }

        var model = await models.GetAsync(draft.ModelName, draft.ModelVersion, cancellationToken).ConfigureAwait(false);
        if (model.Status == ModelStatus.Archived)
        {
            throw new RegistryException(RegistryFailure.Conflict, $"{model.Reference} is archived and cannot be deployed.");
        }

        if (model.Status == ModelStatus.Withdrawn)
        {
            throw new RegistryException(RegistryFailure.Conflict, $"{model.Reference} was withdrawn from production and cannot be deployed until it is promoted again.");
        }

        var restores = draft.RestoresDeploymentId is { } restoredId
            ? await RestoredReleaseAsync(draft, model, restoredId, cancellationToken).ConfigureAwait(false)
            : (ObjectId?)null;
        var current = await FindCurrentAsync(draft.Environment, draft.Target, cancellationToken).ConfigureAwait(false);
        var deployment = draft with
        {
            Id = ObjectId.GenerateNewId(),
            ModelId = model.Id,
            Status = DeploymentStatus.InProgress,
            StartedAt = DateTime.UtcNow,
            FinishedAt = null,
            PreviousDeploymentId = current?.Id,
            RestoresDeploymentId = restores,
        };
        try
        {
            await Deployments.InsertOneAsync(deployment, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Guard.IsDuplicateKey(ex))
        {
            throw await InProgressConflictAsync(draft.Environment, draft.Target, ex, cancellationToken).ConfigureAwait(false);
        }

        return deployment;
    }

    /// <summary>
    /// Ends an in-progress deployment; a finished one is never rewritten. The task definition and CodeDeploy ids are
    /// often only known once the release ran, so they can be filled in here.
    /// </summary>
    public async Task<DeploymentDocument> FinishAsync(string id, DeploymentStatus status, string? reason, string? taskDefinitionArn = null, string? codeDeployDeploymentId = null, CancellationToken cancellationToken = default)
    {
        if (status == DeploymentStatus.InProgress)
        {
            throw new RegistryException(RegistryFailure.Conflict, "A deployment finishes as succeeded, failed, rolled-back or stopped.");
        }

        var objectId = ParseId(id);
        var finished = await Deployments.FindOneAndUpdateAsync(
            d => d.Id == objectId && d.Status == DeploymentStatus.InProgress,
            Updates(status, reason, taskDefinitionArn, codeDeployDeploymentId),
            new FindOneAndUpdateOptions<DeploymentDocument> { ReturnDocument = ReturnDocument.After },
            cancellationToken).ConfigureAwait(false);
        if (finished is not null)
        {
            return finished;
        }

        var existing = await Deployments.Find(d => d.Id == objectId).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryException(RegistryFailure.NotFound, $"No deployment with id {id}.");
        throw new RegistryException(RegistryFailure.Conflict, $"Deployment {id} already finished as {RegistryNames.Of(existing.Status)}.");
    }

    public async Task<IReadOnlyList<DeploymentDocument>> ListAsync(DeploymentEnvironment? environment = null, DeploymentTarget? target = null, int limit = 50, DeploymentStatus? status = null, CancellationToken cancellationToken = default)
    {
        var filter = Builders<DeploymentDocument>.Filter.Empty;
        if (environment is { } env)
        {
            filter &= Builders<DeploymentDocument>.Filter.Eq(d => d.Environment, env);
        }

        if (target is { } where)
        {
            filter &= Builders<DeploymentDocument>.Filter.Eq(d => d.Target, where);
        }

        if (status is { } wanted)
        {
            filter &= Builders<DeploymentDocument>.Filter.Eq(d => d.Status, wanted);
        }

        return await Deployments.Find(filter).SortByDescending(d => d.StartedAt).Limit(limit).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The deployment serving now: the latest that succeeded for this environment and target.</summary>
    public async Task<DeploymentDocument> CurrentAsync(DeploymentEnvironment environment, DeploymentTarget target, CancellationToken cancellationToken = default) =>
        await FindCurrentAsync(environment, target, cancellationToken).ConfigureAwait(false)
        ?? throw new RegistryException(RegistryFailure.NotFound, $"Nothing has been deployed successfully to {RegistryNames.Of(environment)} on {RegistryNames.Of(target)} yet.");

    /// <summary>
    /// What a rollback puts back: the deployment that served before the release serving now. A rollback serving now
    /// counts as the release it restored, so a second rollback goes further back instead of returning to the release
    /// the first one left. A deployment whose model was withdrawn or archived is passed over (it may not serve), and
    /// the answer says so.
    /// </summary>
    public async Task<RollbackTarget> RollbackTargetAsync(DeploymentEnvironment environment, DeploymentTarget target, CancellationToken cancellationToken = default)
    {
        var where = $"{RegistryNames.Of(environment)} on {RegistryNames.Of(target)}";
        var current = await FindCurrentAsync(environment, target, cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryException(RegistryFailure.NotFound, $"No rollback target for {where}: nothing has been deployed there successfully yet.");
        var currentModel = (await WithModelAsync(current.Id, cancellationToken).ConfigureAwait(false)).Model;
        var passedOver = new List<PassedOver>();
        var cursor = current;
        for (var step = 0; step < MaxRollbackSteps; step++)
        {
            var release = cursor.RestoresDeploymentId is { } restored
                ? (await WithModelAsync(restored, cancellationToken).ConfigureAwait(false)).Deployment
                : cursor;
            if (release.PreviousDeploymentId is not { } previousId)
            {
                throw new RegistryException(
                    RegistryFailure.NotFound,
                    $"No rollback target for {where}: nothing served before {Describe(release)}{PassedOverSentence(passedOver)}.");
            }

            var (candidate, model) = await WithModelAsync(previousId, cancellationToken).ConfigureAwait(false);
            var reason = model is null ? "its model is no longer registered"
                : model.Status == ModelStatus.Withdrawn ? $"{model.Reference} was withdrawn from production"
                : model.Status == ModelStatus.Archived ? $"{model.Reference} is archived"
                : null;
            if (reason is null)
            {
                return new RollbackTarget(current, currentModel, candidate, model!, passedOver);
            }

            passedOver.Add(new PassedOver(candidate, reason));
            cursor = candidate;
        }

        throw new RegistryException(RegistryFailure.Conflict, $"The rollback chain of {where} is longer than {MaxRollbackSteps} deployments; the trail is inconsistent.");
    }

    /// <summary>
    /// A rollback must deploy exactly what it restores: a succeeded deployment of the same environment, target, model
    /// and image. Returns the release to record (the original one, when the restored deployment was itself a rollback).
    /// </summary>
    private async Task<ObjectId> RestoredReleaseAsync(DeploymentDocument draft, ModelDocument model, ObjectId restoredId, CancellationToken cancellationToken)
    {
        var restored = await Deployments.Find(d => d.Id == restoredId).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryException(RegistryFailure.NotFound, $"The rollback restores deployment {restoredId}, which does not exist.");
        var problem = restored.Status != DeploymentStatus.Succeeded ? $"it {RegistryNames.Of(restored.Status)}, it never served"
            : restored.Environment != draft.Environment || restored.Target != draft.Target ? $"it served {RegistryNames.Of(restored.Environment)} on {RegistryNames.Of(restored.Target)}"
            : restored.ModelId != model.Id ? $"it served {restored.ModelName}@{restored.ModelVersion}, not {model.Reference}"
            : draft.Image is not null && restored.Image is not null && draft.Image != restored.Image ? $"it served the image {restored.Image}, not {draft.Image}"
            : null;
        return problem is null
            ? restored.RestoresDeploymentId ?? restored.Id
            : throw new RegistryException(RegistryFailure.Conflict, $"A rollback of {RegistryNames.Of(draft.Environment)} on {RegistryNames.Of(draft.Target)} cannot restore deployment {restoredId}: {problem}.");
    }

    private async Task<RegistryException> InProgressConflictAsync(DeploymentEnvironment environment, DeploymentTarget target, Exception cause, CancellationToken cancellationToken)
    {
        var running = await Deployments.Find(d => d.Environment == environment && d.Target == target && d.Status == DeploymentStatus.InProgress)
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        var which = running is null ? "another deployment" : $"{Describe(running)}, started by {running.Actor}";
        return new RegistryException(
            RegistryFailure.Conflict,
            $"A deployment to {RegistryNames.Of(environment)} on {RegistryNames.Of(target)} is already in progress ({which}); finish it first with 'registry deployment finish --id {running?.Id.ToString() ?? "ID"} --status …'.",
            cause);
    }

    /// <summary>One deployment joined to its model in one aggregate (the model is null when it is no longer registered).</summary>
    private async Task<(DeploymentDocument Deployment, ModelDocument? Model)> WithModelAsync(ObjectId id, CancellationToken cancellationToken)
    {
        var pipeline = new[]
        {
            new BsonDocument("$match", new BsonDocument("_id", id)),
            new BsonDocument("$lookup", new BsonDocument
            {
                ["from"] = RegistryDatabase.ModelsCollection,
                ["localField"] = "modelId",
                ["foreignField"] = "_id",
                ["as"] = "model",
            }),
        };
        var row = await Deployments.Aggregate<BsonDocument>(pipeline, cancellationToken: cancellationToken).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryException(RegistryFailure.NotFound, $"Deployment {id} is named in the trail but does not exist.");
        var model = row["model"].AsBsonArray.FirstOrDefault();
        row.Remove("model");
        return (BsonSerializer.Deserialize<DeploymentDocument>(row), model is null ? null : BsonSerializer.Deserialize<ModelDocument>(model.AsBsonDocument));
    }

    private static UpdateDefinition<DeploymentDocument> Updates(DeploymentStatus status, string? reason, string? taskDefinitionArn, string? codeDeployDeploymentId)
    {
        var update = Builders<DeploymentDocument>.Update.Set(d => d.Status, status).Set(d => d.FinishedAt, DateTime.UtcNow).Set(d => d.Reason, reason);
        if (taskDefinitionArn is not null)
        {
            update = update.Set(d => d.TaskDefinitionArn, taskDefinitionArn);
        }

        return codeDeployDeploymentId is null ? update : update.Set(d => d.CodeDeployDeploymentId, codeDeployDeploymentId);
    }

    private async Task<DeploymentDocument?> FindCurrentAsync(DeploymentEnvironment environment, DeploymentTarget target, CancellationToken cancellationToken) =>
        await Deployments.Find(d => d.Environment == environment && d.Target == target && d.Status == DeploymentStatus.Succeeded)
            .SortByDescending(d => d.StartedAt)
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);

    private static string Describe(DeploymentDocument d) => $"{d.ModelName}@{d.ModelVersion} (deployment {d.Id}, {d.StartedAt:yyyy-MM-dd HH:mm} UTC)";

    private static string PassedOverSentence(List<PassedOver> passedOver) =>
        passedOver.Count == 0 ? string.Empty : $"; passed over {string.Join(", ", passedOver.Select(p => $"{Describe(p.Deployment)}: {p.Reason}"))}";

    private static ObjectId ParseId(string id) =>
        ObjectId.TryParse(id, out var objectId) ? objectId : throw new RegistryException(RegistryFailure.NotFound, $"'{id}' is not a deployment id.");
}
