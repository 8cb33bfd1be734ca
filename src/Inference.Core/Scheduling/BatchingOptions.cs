using Inference.Core.Hosting;

namespace Inference.Core.Scheduling;

/// <summary>Dynamic batching settings (configuration section <c>Batching</c>), with Triton's meaning.</summary>
public sealed record BatchingOptions
{
    public const string Section = "Batching";
    public const int MaxBatchSizeLimit = 256;

    /// <summary>The largest batch on a GPU when none is set: batches are what keep a GPU busy.</summary>
    public const int DefaultGpuMaxBatchSize = 8;

    /// <summary>
    /// The largest batch on CPU when none is set. Chosen by measurement (README, "Instances and threads on CPU"):
    /// batching does not raise CPU throughput (raw ORT gave as many images per second at batch 1 as at 8), but every
    /// session's arena and every pooled batch buffer is sized for the largest batch: at 8, the service took twice the
    /// resident memory when idle and more under load.
    /// </summary>
    public const int DefaultCpuMaxBatchSize = 2;

    /// <summary>Images per model run at most; capped by a static model batch. By provider when absent.</summary>
    [SettingRange("Batching:MaxBatchSize", 1, MaxBatchSizeLimit)]
    public int? MaxBatchSize { get; init; }

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

    /// <summary>The largest batch for the provider that was loaded (or, for TensorRT's profile, is being loaded).</summary>
    public int MaxBatchSizeFor(string provider) =>
        MaxBatchSize ?? (Backends.OnnxSessionFactory.RunsOnGpu(provider) ? DefaultGpuMaxBatchSize : DefaultCpuMaxBatchSize);
}
