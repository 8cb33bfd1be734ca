namespace Inference.Core.Backends;

/// <summary>
/// Float storage for a fixed number of images, allocated once on the pinned object heap and reused through its
/// pool: ORT reads and writes it in place, with no per-run pinning or copy, and the pool hands out exactly this
/// size (no power-of-two rounding).
/// </summary>
public abstract class PooledImageBuffer : IDisposable
{
    private readonly ImageBufferPool _pool;
    private bool _rented;

    private protected PooledImageBuffer(ImageBufferPool pool)
    {
        _pool = pool;
        Buffer = GC.AllocateUninitializedArray<float>(pool.Capacity * pool.ImageLength, pinned: true);
    }

    /// <summary>Images it has room for.</summary>
    public int Capacity => _pool.Capacity;

    /// <summary>Floats per image.</summary>
    public int ImageLength => _pool.ImageLength;

    internal float[] Buffer { get; }

    internal Memory<float> Images(int start, int count) => Buffer.AsMemory(start * ImageLength, count * ImageLength);

    private protected Span<float> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Capacity, nameof(index));
        return Buffer.AsSpan(index * ImageLength, ImageLength);
    }

    internal void MarkRented() => _rented = true;

    /// <summary>Back to the pool; a second dispose is a no-op.</summary>
    public void Dispose()
    {
        if (_rented)
        {
            _rented = false;
            _pool.Return(this);
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>Keeps a few buffers of one size for reuse; beyond that, returned buffers are left to the GC.</summary>
public abstract class ImageBufferPool(int capacity, int imageLength, int retained)
{
    private readonly Stack<PooledImageBuffer> _free = new();
    private readonly Lock _lock = new();

    public int Capacity { get; } = capacity;

    public int ImageLength { get; } = imageLength;

    /// <summary>Buffers kept for reuse at most: enough for every runner plus one forming and one waiting batch.</summary>
    public int Retained { get; } = retained;

    private protected T RentBuffer<T>(Func<T> create)
        where T : PooledImageBuffer
    {
        PooledImageBuffer? buffer = null;
        lock (_lock)
        {
            _free.TryPop(out buffer);
        }

        buffer ??= create();
        buffer.MarkRented();
        return (T)buffer;
    }

    /// <summary>Drops free buffers beyond <paramref name="keep"/> to the GC: after a burst, the pool need not stay at its peak.</summary>
    public void Trim(int keep)
    {
        lock (_lock)
        {
            while (_free.Count > keep)
            {
                _free.Pop();
            }
        }
    }

    internal void Return(PooledImageBuffer buffer)
    {
        lock (_lock)
        {
            if (_free.Count < Retained)
            {
                _free.Push(buffer);
            }
        }
    }
}

/// <summary>A pooled NCHW float32 input with <see cref="PooledImageBuffer.Capacity"/> image slots for one model run.</summary>
public sealed class BatchTensor : PooledImageBuffer
{
    internal BatchTensor(BatchTensorPool pool)
        : base(pool)
    {
    }

    public int SlotLength => ImageLength;

    public Span<float> Slot(int index) => Image(index);
}

/// <summary>The raw output of one run, per image.</summary>
public sealed class BatchOutput : PooledImageBuffer
{
    internal BatchOutput(BatchOutputPool pool)
        : base(pool)
    {
    }

    public ReadOnlySpan<float> ForImage(int index) => Image(index);
}

public sealed class BatchTensorPool(int capacity, int slotLength, int retained) : ImageBufferPool(capacity, slotLength, retained), Scheduling.IBatchBuffers<BatchTensor>
{
    public BatchTensor Rent() => RentBuffer(() => new BatchTensor(this));

    public void Release(BatchTensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.Dispose();
    }
}

public sealed class BatchOutputPool(int capacity, int imageLength, int retained) : ImageBufferPool(capacity, imageLength, retained)
{
    public BatchOutput Rent() => RentBuffer(() => new BatchOutput(this));
}
