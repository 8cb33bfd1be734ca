using Inference.Core.Hosting;

namespace Inference.Core.Scheduling;

/// <summary>Dynamic batching settings (configuration section <c>Batching</c>), with Triton's meaning.</summary>
public sealed record BatchingOptions
{
    public const string Section = "Batching";
    public const int MaxBatchSizeLimit = 256;

    /// <summary>Images per model run at most; capped by a static model batch.</summary>
    [SettingRange("Batching:MaxBatchSize", 1, MaxBatchSizeLimit)]
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>
    /// An extra wait for company, as Triton's max_queue_delay: only when an instance is idle and the batch is not
    /// full. 0 (the default) runs a lone request at once; batches still form while every instance is busy.
    /// </summary>
    [SettingRange("Batching:MaxDelayMs", 0, 10_000)]
    public int MaxDelayMs { get; init; }

    /// <summary>
    /// Images admitted and not yet running, decoding included. Beyond it requests are refused (429), so memory
    /// and CPU stay bounded under a flood.
    /// </summary>
    [SettingRange("Batching:MaxQueue", 1, 1_000_000)]
    public int MaxQueue { get; init; } = 64;

    /// <summary>Consecutive failed runs after which the model is marked failed (readiness 503 with the reason).</summary>
    [SettingRange("Batching:MaxConsecutiveFailures", 1, 1000)]
    public int MaxConsecutiveFailures { get; init; } = 3;
}
