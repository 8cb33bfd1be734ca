namespace Inference.Core.Serving;

/// <summary>
/// Bounds work in flight by count and by the bytes it holds, so a flood of large images waits its turn (decodes)
/// or is refused (request bodies) instead of growing memory. Waiters are served in arrival order and honour
/// cancellation. A single item larger than the whole budget still runs, alone. Hand-written: SemaphoreSlim counts
/// one resource, and this weighs two.
/// </summary>
public sealed class MemoryGate
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private int _running;
    private long _bytes;

    public MemoryGate(int maxConcurrent, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConcurrent);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        MaxConcurrent = maxConcurrent;
        MaxBytes = maxBytes;
    }

    public int MaxConcurrent { get; }

    public long MaxBytes { get; }

    /// <summary>Holders now.</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>A turn at once when one is free (and nobody waits for it); null otherwise.</summary>
    public Lease? TryEnter(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_lock)
        {
            if (_waiters.Count == 0 && Fits(bytes))
            {
                Take(bytes);
                return new Lease(this, bytes);
            }
        }

        return null;
    }

    /// <summary>Waits for a turn for something that holds <paramref name="bytes"/>; dispose the lease when done.</summary>
    public ValueTask<Lease> EnterAsync(long bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && Fits(bytes))
            {
                Take(bytes);
                return ValueTask.FromResult(new Lease(this, bytes));
            }

            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
        }

        return WaitAsync(waiter, cancellationToken);
    }

    private async ValueTask<Lease> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await using (cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Owner?.Cancel((Waiter)state!, token), waiter.WithOwner(this)).ConfigureAwait(false))
        {
            await waiter.Turn.Task.ConfigureAwait(false);
        }

        return new Lease(this, waiter.Bytes);
    }

    private void Cancel(Waiter waiter, CancellationToken token)
    {
        lock (_lock)
        {
            if (waiter.Node?.List is null)
            {
                return;
            }

            _waiters.Remove(waiter.Node);
            GrantWaiting();
        }

        waiter.Turn.TrySetCanceled(token);
    }

    private bool Fits(long bytes) =>
        _running < MaxConcurrent && (_running == 0 || _bytes + bytes <= MaxBytes);

    private void Take(long bytes)
    {
        _running++;
        _bytes += bytes;
    }

    private void Exit(long bytes)
    {
        lock (_lock)
        {
            _running--;
            _bytes -= bytes;
            GrantWaiting();
        }
    }

    /// <summary>Under the lock: lets waiters in, in order, while the first one fits.</summary>
    private void GrantWaiting()
    {
        while (_waiters.First is { } first && Fits(first.Value.Bytes))
        {
            _waiters.RemoveFirst();
            Take(first.Value.Bytes);
            first.Value.Turn.TrySetResult();
        }
    }

    /// <summary>A turn; disposing it gives the turn back.</summary>
    public readonly struct Lease(MemoryGate gate, long bytes) : IDisposable
    {
        public void Dispose() => gate?.Exit(bytes);
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;

        public LinkedListNode<Waiter>? Node { get; set; }

        public MemoryGate? Owner { get; private set; }

        public TaskCompletionSource Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Waiter WithOwner(MemoryGate owner)
        {
            Owner = owner;
            return this;
        }
    }
}
