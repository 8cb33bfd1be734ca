using MongoDB.Bson;

namespace Inference.Registry.Datasets;

public enum DatasetSourceKind
{
    Roboflow,
    S3,
    Other,
}

/// <summary>A version of a dataset: where it came from, its classes and how many images each split holds.</summary>
public sealed record DatasetDocument
{
    public ObjectId Id { get; init; }

    public required string Name { get; init; }

    /// <summary>Our own version number, 1, 2, 3… per name.</summary>
    public int Version { get; init; }

    public required DatasetSource Source { get; init; }

    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>Images per split (<c>train</c>, <c>valid</c>, <c>test</c>).</summary>
    public IReadOnlyDictionary<string, int> ImageCounts { get; init; } = new Dictionary<string, int>();

    /// <summary>SHA-256 over the dataset's files, so the same export is recognised when it comes again.</summary>
    public string? ContentHash { get; init; }

    public DateTime CreatedAt { get; init; }

    public required string CreatedBy { get; init; }
}

public sealed record DatasetSource
{
    public DatasetSourceKind Kind { get; init; }

    public string? Workspace { get; init; }

    public string? Project { get; init; }

    /// <summary>The source's own version (a Roboflow dataset version number, say).</summary>
    public string? Version { get; init; }

    public string? Url { get; init; }
}
