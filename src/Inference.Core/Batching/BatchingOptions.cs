namespace Inference.Core.Batching;

/// <summary>Dynamic batching settings (configuration section <c>Batching</c>), with Triton's meaning.</summary>
public sealed record BatchingOptions
{
    public const int MaxBatchSizeLimit = 256;

    /// <summary>Images per model run at most; capped by a static model batch.</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>
    /// How long the oldest waiting image may be held for others to join it. It only matters when a full batch
    /// cannot be formed: a full batch runs at once.
    /// </summary>
    public int MaxDelayMs { get; init; } = 2;

    /// <summary>Images admitted but not yet running. Beyond it requests are refused (429), so memory stays bounded.</summary>
    public int MaxQueue { get; init; } = 64;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxBatchSize is < 1 or > MaxBatchSizeLimit)
        {
            problems.Add($"Batching:MaxBatchSize must be between 1 and {MaxBatchSizeLimit} (got {MaxBatchSize}).");
        }

        if (MaxDelayMs is < 0 or > 10_000)
        {
            problems.Add($"Batching:MaxDelayMs must be between 0 and 10000 (got {MaxDelayMs}).");
        }

        if (MaxQueue < 1)
        {
            problems.Add($"Batching:MaxQueue must be at least 1 (got {MaxQueue}).");
        }

        return problems;
    }
}
