using Inference.Registry.Models;
using Inference.Registry.Storage;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace Inference.Registry.Deployments;

/// <summary>Where to go back to: the deployment before the current one, with the model it served.</summary>
public sealed record RollbackTarget(DeploymentDocument Current, DeploymentDocument Target, ModelDocument Model);

/// <summary>The deployment audit trail: start, finish, list, the current one, and the rollback target.</summary>
public sealed class DeploymentStore(RegistryDatabase database, ModelStore models)
{
    private IMongoCollection<DeploymentDocument> Deployments => database.Deployments;

    /// <summary>Records a deployment in progress, remembering which deployment was current when it began.</summary>
    public async Task<DeploymentDocument> StartAsync(DeploymentDocument draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var model = await models.GetAsync(draft.ModelName, draft.ModelVersion, cancellationToken).ConfigureAwait(false);
        if (model.Status == ModelStatus.Archived)
        {
            throw new RegistryException(RegistryFailure.Conflict, $"{model.Reference} is archived and cannot be deployed.");
        }

        var current = await FindCurrentAsync(draft.Environment, draft.Target, cancellationToken).ConfigureAwait(false);
        var deployment = draft with
        {
            Id = ObjectId.GenerateNewId(),
            ModelId = model.Id,
            Status = DeploymentStatus.InProgress,
            StartedAt = DateTime.UtcNow,
            FinishedAt = null,
            PreviousDeploymentId = current?.Id,
        };
        await Deployments.InsertOneAsync(deployment, cancellationToken: cancellationToken).ConfigureAwait(false);
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

    public async Task<IReadOnlyList<DeploymentDocument>> ListAsync(DeploymentEnvironment? environment = null, DeploymentTarget? target = null, int limit = 50, CancellationToken cancellationToken = default)
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

        return await Deployments.Find(filter).SortByDescending(d => d.StartedAt).Limit(limit).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The deployment serving now: the latest that succeeded for this environment and target.</summary>
    public async Task<DeploymentDocument> CurrentAsync(DeploymentEnvironment environment, DeploymentTarget target, CancellationToken cancellationToken = default) =>
        await FindCurrentAsync(environment, target, cancellationToken).ConfigureAwait(false)
        ?? throw new RegistryException(RegistryFailure.NotFound, $"Nothing has been deployed successfully to {RegistryNames.Of(environment)} on {RegistryNames.Of(target)} yet.");

    /// <summary>
    /// The last succeeded deployment before the current one, with its model, in one aggregate query: the two latest
    /// succeeded deployments (using the environment/target/startedAt index), each joined to its model.
    /// </summary>
    public async Task<RollbackTarget> RollbackTargetAsync(DeploymentEnvironment environment, DeploymentTarget target, CancellationToken cancellationToken = default)
    {
        var pipeline = new[]
        {
            new BsonDocument("$match", new BsonDocument
            {
                ["environment"] = RegistryNames.Bson(environment),
                ["target"] = RegistryNames.Bson(target),
                ["status"] = RegistryNames.Bson(DeploymentStatus.Succeeded),
            }),
            new BsonDocument("$sort", new BsonDocument("startedAt", -1)),
            new BsonDocument("$limit", 2),
            new BsonDocument("$lookup", new BsonDocument
            {
                ["from"] = RegistryDatabase.ModelsCollection,
                ["localField"] = "modelId",
                ["foreignField"] = "_id",
                ["as"] = "model",
            }),
        };
        var rows = await Deployments.Aggregate<BsonDocument>(pipeline, cancellationToken: cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (rows.Count < 2)
        {
            throw new RegistryException(
                RegistryFailure.NotFound,
                $"No rollback target for {RegistryNames.Of(environment)} on {RegistryNames.Of(target)}: it needs two succeeded deployments, there {(rows.Count == 1 ? "is one" : "are none")}.");
        }

        var previous = rows[1];
        var model = previous["model"].AsBsonArray.FirstOrDefault()
            ?? throw new RegistryException(RegistryFailure.NotFound, "The rollback target's model is no longer registered.");
        previous.Remove("model");
        rows[0].Remove("model");
        return new RollbackTarget(
            BsonSerializer.Deserialize<DeploymentDocument>(rows[0]),
            BsonSerializer.Deserialize<DeploymentDocument>(previous),
            BsonSerializer.Deserialize<ModelDocument>(model.AsBsonDocument));
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

    private static ObjectId ParseId(string id) =>
        ObjectId.TryParse(id, out var objectId) ? objectId : throw new RegistryException(RegistryFailure.NotFound, $"'{id}' is not a deployment id.");
}
