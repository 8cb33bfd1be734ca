using Inference.Registry.Datasets;
using Inference.Registry.Deployments;
using Inference.Registry.Storage;
using MongoDB.Driver;

namespace Inference.Registry.Models;

/// <summary>A model with where it came from and where it went.</summary>
public sealed record Lineage(ModelDocument Model, DatasetDocument Dataset, IReadOnlyList<DeploymentDocument> Deployments, IReadOnlyList<StatusChange> History);

/// <summary>Model versions: register (with their dataset and verified artifact), find, promote, archive, trace.</summary>
public sealed class ModelStore(RegistryDatabase database, DatasetStore datasets, IArtifactVerifier verifier)
{
    private IMongoCollection<ModelDocument> Models => database.Models;

    /// <summary>
    /// Registers <paramref name="draft"/>: as exactly its <see cref="ModelDocument.Version"/> when it sets one (the
    /// version its manifest declares, so the registry and the service report the same identity), else as the next
    /// version of its name. Its dataset version must exist and have as many classes as the model, and its artifact
    /// must verify against S3; nothing is written unless all of that holds.
    /// </summary>
    public async Task<ModelDocument> RegisterAsync(ModelDocument draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var dataset = await datasets.GetAsync(draft.Dataset.Name, draft.Dataset.Version, cancellationToken).ConfigureAwait(false);
        var classes = draft.Artifact.Classes;
        if (classes.Count > 0 && classes.Count != dataset.Classes.Count)
        {
            throw new RegistryException(
                RegistryFailure.InvalidArtifact,
                $"The model has {classes.Count} classes, but dataset '{dataset.Name}' version {dataset.Version} has {dataset.Classes.Count} ({Abbreviate(dataset.Classes)}); a model registers against the dataset it was trained on.");
        }

        await verifier.VerifyAsync(draft.Artifact, cancellationToken).ConfigureAwait(false);
        var stamped = draft with
        {
            Dataset = new DatasetReference(dataset.Name, dataset.Version, dataset.Id),
            Status = ModelStatus.Registered,
            ProductionTarget = null,
            CreatedAt = DateTime.UtcNow,
        };
        if (draft.Version <= 0)
        {
            return await NextVersion.InsertAsync(Models, draft.Name, version => stamped with { Version = version }, m => m.Version, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await Models.InsertOneAsync(stamped, cancellationToken: cancellationToken).ConfigureAwait(false);
            return stamped;
        }
        catch (Exception ex) when (Guard.IsDuplicateKey(ex))
        {
            throw new RegistryException(
                RegistryFailure.Duplicate,
                $"{draft.Name}@{draft.Version} is already registered; versions are immutable, so push the model as version {await NextVersionAsync(draft.Name, cancellationToken).ConfigureAwait(false)} (the next free one).",
                ex);
        }
    }

    /// <summary>The version a new registration of <paramref name="name"/> would get: one past the latest, or 1.</summary>
    public async Task<int> NextVersionAsync(string name, CancellationToken cancellationToken = default)
    {
        var latest = await Models.Find(m => m.Name == name).SortByDescending(m => m.Version).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return (latest?.Version ?? 0) + 1;
    }

    /// <summary>The earliest version of <paramref name="name"/> whose weights hash to <paramref name="sha256"/>, if any: the same weights imported again.</summary>
    public async Task<ModelDocument?> FindByWeightsAsync(string name, string sha256, CancellationToken cancellationToken = default)
    {
        var wanted = sha256.ToLowerInvariant();
        return await Models.Find(m => m.Name == name && m.Artifact.Weights.Sha256 == wanted).SortBy(m => m.Version).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The given version, or the latest when <paramref name="version"/> is null.</summary>
    public async Task<ModelDocument> GetAsync(string name, int? version = null, CancellationToken cancellationToken = default)
    {
        var filter = Builders<ModelDocument>.Filter.Eq(m => m.Name, name);
        if (version is { } exact)
        {
            filter &= Builders<ModelDocument>.Filter.Eq(m => m.Version, exact);
        }

        return await Models.Find(filter).SortByDescending(m => m.Version).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryException(RegistryFailure.NotFound, version is null ? $"No model named '{name}' is registered." : $"Model '{name}' version {version} is not registered.");
    }

    public async Task<IReadOnlyList<ModelDocument>> ListAsync(string? name = null, ModelStatus? status = null, CancellationToken cancellationToken = default)
    {
        var filter = Builders<ModelDocument>.Filter.Empty;
        if (name is not null)
        {
            filter &= Builders<ModelDocument>.Filter.Eq(m => m.Name, name);
        }

        if (status is { } wanted)
        {
            filter &= Builders<ModelDocument>.Filter.Eq(m => m.Status, wanted);
        }

        return await Models.Find(filter).SortBy(m => m.Name).ThenBy(m => m.Version).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Model → dataset (with its source), plus every deployment of the model and its status history.</summary>
    public async Task<Lineage> LineageAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        var model = await GetAsync(name, version, cancellationToken).ConfigureAwait(false);
        var dataset = await database.Datasets.Find(d => d.Id == model.Dataset.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryException(RegistryFailure.NotFound, $"{model.Reference} points to dataset {model.Dataset.Name} version {model.Dataset.Version}, which is gone.");
        var deployments = await database.Deployments.Find(d => d.ModelId == model.Id).SortByDescending(d => d.StartedAt).ToListAsync(cancellationToken).ConfigureAwait(false);
        var history = await database.StatusChanges.Find(c => c.ModelId == model.Id).SortBy(c => c.At).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new Lineage(model, dataset, deployments, history);
    }

    /// <summary>
    /// Moves a model to staging or production, in one transaction with an audit entry per change. Production is per
    /// target (one model per name and target, and one target per model): the model that held it goes back to staging.
    /// </summary>
    public async Task<ModelDocument> PromoteAsync(string name, int version, ModelStatus to, DeploymentTarget? target, string actor, string? reason, CancellationToken cancellationToken = default)
    {
        if (to is not (ModelStatus.Staging or ModelStatus.Production))
        {
            throw new RegistryException(RegistryFailure.Conflict, $"Promote moves a model to staging or production; use archive for '{RegistryNames.Of(to)}'.");
        }

        if (to == ModelStatus.Production && target is null)
        {
            throw new RegistryException(RegistryFailure.Conflict, "Promoting to production needs a target (ecs or lambda): there is one production model per name and target.");
        }

        return await InTransactionAsync(async session =>
        {
            var model = await Models.Find(session, m => m.Name == name && m.Version == version).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new RegistryException(RegistryFailure.NotFound, $"Model '{name}' version {version} is not registered.");
            if (model.Status == ModelStatus.Archived)
            {
                throw new RegistryException(RegistryFailure.Conflict, $"{model.Reference} is archived; archived models are not promoted again.");
            }

            if (to == ModelStatus.Production && model.Status == ModelStatus.Production && model.ProductionTarget != target)
            {
                throw new RegistryException(
                    RegistryFailure.Conflict,
                    $"{model.Reference} is already in production on {RegistryNames.Of(model.ProductionTarget!.Value)}; a model serves production on one target.");
            }

            if (to == ModelStatus.Production)
            {
                var holder = await Models.Find(session, m => m.Name == name && m.Status == ModelStatus.Production && m.ProductionTarget == target && m.Id != model.Id)
                    .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
                if (holder is not null)
                {
                    await ChangeStatusAsync(session, holder, ModelStatus.Staging, null, actor, $"Replaced in production on {RegistryNames.Of(target!.Value)} by {model.Reference}.", cancellationToken).ConfigureAwait(false);
                }
            }

            return await ChangeStatusAsync(session, model, to, to == ModelStatus.Production ? target : null, actor, reason, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Archives a model that is not serving production anywhere.</summary>
    public async Task<ModelDocument> ArchiveAsync(string name, int version, string actor, string? reason, CancellationToken cancellationToken = default) =>
        await InTransactionAsync(async session =>
        {
            var model = await Models.Find(session, m => m.Name == name && m.Version == version).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new RegistryException(RegistryFailure.NotFound, $"Model '{name}' version {version} is not registered.");
            if (model.Status == ModelStatus.Production)
            {
                throw new RegistryException(RegistryFailure.Conflict, $"{model.Reference} is in production on {RegistryNames.Of(model.ProductionTarget!.Value)}; promote another version first.");
            }

            return model.Status == ModelStatus.Archived
                ? model
                : await ChangeStatusAsync(session, model, ModelStatus.Archived, null, actor, reason, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Takes a production model out of production without promoting another: its target then has no production
    /// model, and the model is not deployed again until it is promoted again. What serves meanwhile is unchanged; the
    /// rollback target passes over its deployments and says what a rollback would put back.
    /// </summary>
    public async Task<ModelDocument> WithdrawAsync(string name, int version, string actor, string? reason, CancellationToken cancellationToken = default) =>
        await InTransactionAsync(async session =>
        {
            var model = await Models.Find(session, m => m.Name == name && m.Version == version).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new RegistryException(RegistryFailure.NotFound, $"Model '{name}' version {version} is not registered.");
            if (model.Status != ModelStatus.Production)
            {
                throw new RegistryException(RegistryFailure.Conflict, $"{model.Reference} is {RegistryNames.Of(model.Status)}, not in production: only a production model is withdrawn (archive it instead).");
            }

            var from = $"withdrawn from production on {RegistryNames.Of(model.ProductionTarget!.Value)}";
            return await ChangeStatusAsync(session, model, ModelStatus.Withdrawn, null, actor, reason is null ? from : $"{reason} ({from})", cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    private static string Abbreviate(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(6)) + (names.Count > 6 ? $", … {names.Count - 6} more" : string.Empty);

    private async Task<ModelDocument> ChangeStatusAsync(IClientSessionHandle session, ModelDocument model, ModelStatus to, DeploymentTarget? target, string actor, string? reason, CancellationToken cancellationToken)
    {
        var update = target is { } where
            ? Builders<ModelDocument>.Update.Set(m => m.Status, to).Set(m => m.ProductionTarget, where)
            : Builders<ModelDocument>.Update.Set(m => m.Status, to).Unset(m => m.ProductionTarget);
        await Models.UpdateOneAsync(session, m => m.Id == model.Id, update, cancellationToken: cancellationToken).ConfigureAwait(false);
        await database.StatusChanges.InsertOneAsync(
            session,
            new StatusChange
            {
                ModelId = model.Id,
                Name = model.Name,
                Version = model.Version,
                From = model.Status,
                To = to,
                Target = target,
                At = DateTime.UtcNow,
                Actor = actor,
                Reason = reason,
            },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return model with { Status = to, ProductionTarget = target };
    }

    private async Task<T> InTransactionAsync<T>(Func<IClientSessionHandle, Task<T>> work, CancellationToken cancellationToken)
    {
        using var session = await database.Client.StartSessionAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return await session.WithTransactionAsync((s, _) => work(s), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Guard.IsDuplicateKey(ex))
        {
            throw new RegistryException(RegistryFailure.Conflict, "Another promotion to production for this name and target won the race; try again.", ex);
        }
    }
}
