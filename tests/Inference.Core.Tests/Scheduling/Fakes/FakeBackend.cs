using System.Threading.Channels;
using Inference.Core.Scheduling;

namespace Inference.Core.Tests.Scheduling.Fakes;

/// <summary>A batch of plain numbers: each request writes its own value into its slot.</summary>
public sealed class FakeBatch(int capacity)
{
    public int[] Values { get; } = new int[capacity];
}

public sealed class FakeBuffers(int capacity) : IBatchBuffers<FakeBatch>
{
    private int _out;

    public int Capacity => capacity;

    /// <summary>Batches rented and not given back.</summary>
    public int Outstanding => Volatile.Read(ref _out);

    public FakeBatch Rent()
    {
        Interlocked.Increment(ref _out);
        return new FakeBatch(capacity);
    }

    public void Release(FakeBatch batch) => Interlocked.Decrement(ref _out);
}

/// <summary>What a run produced: ten times each input value, and whether every slot has let go of it.</summary>
public sealed class FakeOutput(int[] values) : IDisposable
{
    public int[] Values { get; } = values;

    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;
}

/// <summary>
/// A backend instance the test drives: every run reports itself on <see cref="Started"/> and then blocks until the
/// test lets it go, so what forms while it is busy is decided by the test, not by timing.
/// </summary>
public sealed class FakeInstance(bool blocking = true) : IBatchInstance<FakeBatch, FakeOutput>
{
    private readonly SemaphoreSlim _proceed = new(0);

    public Channel<(int[] Values, int Count)> Started { get; } = Channel.CreateUnbounded<(int[], int)>();

    /// <summary>The next runs throw this, once each, before producing anything.</summary>
    public Queue<Exception> Failures { get; } = new();

    public FakeOutput Run(FakeBatch batch, int count)
    {
        var values = batch.Values[..count];
        Started.Writer.TryWrite((values, count));
        if (blocking)
        {
            _proceed.Wait();
        }

        lock (Failures)
        {
            if (Failures.TryDequeue(out var failure))
            {
                throw failure;
            }
        }

        return new FakeOutput([.. values.Select(v => v * 10)]);
    }

    /// <summary>Lets the run that is blocked (or the next one) finish.</summary>
    public void Proceed() => _proceed.Release();

    public async Task<(int[] Values, int Count)> NextRunAsync() =>
        await Started.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
}

public sealed class RecordingObserver : IBatchObserver
{
    private readonly List<int> _sizes = [];

    public IReadOnlyList<int> BatchSizes
    {
        get
        {
            lock (_sizes)
            {
                return [.. _sizes];
            }
        }
    }

    public int Failures { get; private set; }

    public TaskCompletionSource<string> Fault { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Action<int>? OnCompleted { get; init; }

    public void BatchCompleted(int batchSize, TimeSpan duration)
    {
        lock (_sizes)
        {
            _sizes.Add(batchSize);
        }

        OnCompleted?.Invoke(batchSize);
    }

    public void BatchFailed(int batchSize, Exception exception) => Failures++;

    public void Faulted(string reason) => Fault.TrySetResult(reason);
}
