using Inference.Core.Contracts;
using Inference.Core.Repository;
using Microsoft.Extensions.Options;

namespace Inference.Api.Compat;

/// <summary>
/// Finds a repository model by the id another ecosystem's client sends: an alias from <c>Compat:Aliases</c>, a model
/// id (<c>default</c>), a manifest name and version as <c>GET /v1/models</c> lists them (<c>yolox-nano/0.1.1</c>, a
/// Roboflow <c>project/version</c>), or a manifest name alone (a KServe model name).
/// </summary>
public sealed class CompatModels(ModelRepository repository, IOptions<CompatOptions> options)
{
    public ModelRepository Repository => repository;

    public IReadOnlyList<ModelAlias> Aliases => options.Value.Aliases;

    public ModelEntry? Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (Aliases.FirstOrDefault(a => a.Id == id) is { } alias)
        {
            return repository.Find(alias.Model);
        }

        if (repository.Find(id) is { } byId)
        {
            return byId;
        }

        var slash = id.LastIndexOf('/');
        if (slash > 0)
        {
            var (project, version) = (id[..slash], id[(slash + 1)..]);
            return repository.Models.FirstOrDefault(m =>
                (m.Id == project || m.Model?.Manifest.Name == project) && m.Model?.Manifest.Version == version);
        }

        var named = repository.Models.Where(m => m.Model?.Manifest.Name == id).Take(2).ToList();
        return named.Count == 1 ? named[0] : null;
    }

    /// <summary>The id a Roboflow client uses for a loaded model: its manifest name and version.</summary>
    public static string RoboflowId(ModelEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Model is { } model ? $"{model.Manifest.Name}/{model.Manifest.Version}" : entry.Id;
    }

    /// <summary>404 naming every id this service answers to.</summary>
    public Problem NotFound(string id) =>
        ProblemCatalog.ModelNotFound(id, repository.Models.SelectMany(m => new[] { m.Id, RoboflowId(m) }).Concat(Aliases.Select(a => a.Id)).Distinct());
}
