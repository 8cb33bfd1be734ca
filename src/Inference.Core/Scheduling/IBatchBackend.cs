namespace Inference.Core.Scheduling;

/// <summary>
/// Where a scheduler gets the containers that requests write their inputs into. The scheduler treats a batch as
/// <see cref="Capacity"/> opaque slots: it never looks inside.
/// </summary>
public interface IBatchBuffers<TBatch>
    where TBatch : class
{
    /// <summary>Slots per batch: the largest batch the backend runs.</summary>
    int Capacity { get; }

    TBatch Rent();

    void Release(TBatch batch);
}

/// <summary>
/// One backend instance (an ORT session, say). Each instance gets its own runner thread, so <see cref="Run"/> is
/// never called twice at once on the same instance.
/// </summary>
public interface IBatchInstance<in TBatch, out TOutput>
    where TOutput : IDisposable
{
    /// <summary>Runs the first <paramref name="count"/> slots of <paramref name="batch"/>. The caller disposes the output.</summary>
    TOutput Run(TBatch batch, int count);
}

/// <summary>Writes one request's input into its reserved slot, on the request's thread.</summary>
public delegate void SlotWriter<in TBatch, in TState>(TBatch batch, int slot, TState state);

/// <summary>Hears about every batch a scheduler runs and about its health; hosts turn this into metrics and readiness.</summary>
public interface IBatchObserver
{
    void BatchCompleted(int batchSize, TimeSpan duration);

    void BatchFailed(int batchSize, Exception exception);

    /// <summary>The scheduler can no longer serve (a dead runner, repeated failures, out of memory).</summary>
    void Faulted(string reason);
}
