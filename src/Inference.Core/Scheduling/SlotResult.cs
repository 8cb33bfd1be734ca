namespace Inference.Core.Scheduling;

/// <summary>When a batch ran, for how long, how many slots it held and on which instance.</summary>
public sealed record BatchRun(DateTimeOffset StartedAt, TimeSpan Duration, int Size, int Instance);

/// <summary>
/// One slot's share of a batch run: the shared output, the slot's index in it, and its timings. Dispose it to let go
/// of the output; the output goes back to its pool when the last slot of the batch lets go.
/// </summary>
public sealed class SlotResult<TOutput> : IDisposable
    where TOutput : class, IDisposable
{
    private SharedOutput<TOutput>? _shared;

    internal SlotResult(SharedOutput<TOutput> shared, int index, BatchRun run, DateTimeOffset queuedAt)
    {
        _shared = shared;
        Index = index;
        Run = run;
        QueuedAt = queuedAt;
    }

    public TOutput Output => _shared?.Output ?? throw new ObjectDisposedException(nameof(SlotResult<TOutput>));

    /// <summary>This slot's position in <see cref="Output"/>.</summary>
    public int Index { get; }

    public BatchRun Run { get; }

    /// <summary>When the slot was written and began to wait for its batch.</summary>
    public DateTimeOffset QueuedAt { get; }

    public TimeSpan QueueWait => Run.StartedAt - QueuedAt;

    public void Dispose() => Interlocked.Exchange(ref _shared, null)?.Release();
}

/// <summary>A batch output shared by the slots of one run.</summary>
internal sealed class SharedOutput<TOutput>(TOutput output, int references)
    where TOutput : class, IDisposable
{
    private int _references = references;

    public TOutput Output { get; } = output;

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Output.Dispose();
        }
    }
}
