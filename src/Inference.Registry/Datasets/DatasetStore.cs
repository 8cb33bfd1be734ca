using Inference.Registry.Storage;
using MongoDB.Driver;

namespace Inference.Registry.Datasets;

/// <summary>Dataset versions: register, find, list.</summary>
public sealed class DatasetStore(RegistryDatabase database)
{
    private IMongoCollection<DatasetDocument> Datasets => database.Datasets;

    /// <summary>Registers <paramref name="draft"/> as the next version of its name, or as its own version when it sets one.</summary>
    public async Task<DatasetDocument> RegisterAsync(DatasetDocument draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var stamped = draft with { CreatedAt = DateTime.UtcNow };
        if (draft.Version > 0)
        {
            try
            {
                await Datasets.InsertOneAsync(stamped, cancellationToken: cancellationToken).ConfigureAwait(false);
                return stamped;
            }
            catch (Exception ex) when (Guard.IsDuplicateKey(ex))
            {
                throw new RegistryException(RegistryFailure.Duplicate, $"Dataset '{draft.Name}' version {draft.Version} already exists; versions are immutable, register a new one.", ex);
            }
        }

        return await NextVersion.InsertAsync(Datasets, draft.Name, version => stamped with { Version = version }, d => d.Version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The given version, or the latest when <paramref name="version"/> is null.</summary>
    public async Task<DatasetDocument> GetAsync(string name, int? version = null, CancellationToken cancellationToken = default)
    {
        var filter = Builders<DatasetDocument>.Filter.Eq(d => d.Name, name);
        if (version is { } exact)
        {
            filter &= Builders<DatasetDocument>.Filter.Eq(d => d.Version, exact);
        }

        return await Datasets.Find(filter).SortByDescending(d => d.Version).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryException(RegistryFailure.NotFound, version is null ? $"No dataset named '{name}' is registered." : $"Dataset '{name}' version {version} is not registered.");
    }

    /// <summary>The version of <paramref name="name"/> with these exact contents, if one was registered before.</summary>
    public async Task<DatasetDocument?> FindByContentAsync(string name, string contentHash, CancellationToken cancellationToken = default) =>
        await Datasets.Find(d => d.Name == name && d.ContentHash == contentHash).SortBy(d => d.Version).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<DatasetDocument>> ListAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        var filter = name is null ? Builders<DatasetDocument>.Filter.Empty : Builders<DatasetDocument>.Filter.Eq(d => d.Name, name);
        return await Datasets.Find(filter).SortBy(d => d.Name).ThenBy(d => d.Version).ToListAsync(cancellationToken).ConfigureAwait(false);
    }
}
