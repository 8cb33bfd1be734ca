using Inference.Registry.Datasets;
using Inference.Registry.Deployments;
using Inference.Registry.Models;
using Inference.Registry.Storage;

namespace Inference.Registry;

/// <summary>The registry: datasets, models and deployments over one MongoDB database.</summary>
public sealed class ModelRegistry
{
    public ModelRegistry(RegistryDatabase database, IArtifactVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(database);
        Database = database;
        Datasets = new DatasetStore(database);
        Models = new ModelStore(database, Datasets, verifier);
        Deployments = new DeploymentStore(database, Models);
    }

    public RegistryDatabase Database { get; }

    public DatasetStore Datasets { get; }

    public ModelStore Models { get; }

    public DeploymentStore Deployments { get; }

    /// <summary>Parses <c>name@version</c> (version optional: the latest).</summary>
    public static (string Name, int? Version) ParseReference(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var at = reference.LastIndexOf('@');
        if (at < 0)
        {
            return (reference, null);
        }

        return int.TryParse(reference[(at + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) && version > 0 && at > 0
            ? (reference[..at], version)
            : throw new RegistryException(RegistryFailure.NotFound, $"'{reference}' is not name@version (a positive version number).");
    }
}
