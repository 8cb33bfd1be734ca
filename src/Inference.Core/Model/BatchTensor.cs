using System.Buffers;

namespace Inference.Core.Model;

/// <summary>Float storage for a number of images, rented from a pool and returned on dispose.</summary>
public abstract class PooledImageBuffer : IDisposable
{
    private readonly ArrayPool<float> _pool;
    private float[]? _buffer;

    private protected PooledImageBuffer(ArrayPool<float> pool, int imageCount, int imageLength)
    {
        _pool = pool;
        ImageCount = imageCount;
        ImageLength = imageLength;
        _buffer = pool.Rent(imageCount * imageLength);
    }

    /// <summary>Floats per image.</summary>
    public int ImageLength { get; }

    private protected int ImageCount { get; }

    internal float[] Buffer => _buffer ?? throw new ObjectDisposedException(GetType().Name);

    internal Memory<float> Images(int start, int count) => Buffer.AsMemory(start * ImageLength, count * ImageLength);

    private protected Span<float> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)ImageCount, nameof(index));
        return Buffer.AsSpan(index * ImageLength, ImageLength);
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _pool.Return(buffer);
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>A pooled NCHW float32 input holding <see cref="BatchSize"/> image slots for one model run.</summary>
public sealed class BatchTensor : PooledImageBuffer
{
    internal BatchTensor(ArrayPool<float> pool, int batchSize, int slotLength)
        : base(pool, batchSize, slotLength)
    {
    }

    public int BatchSize => ImageCount;

    public int SlotLength => ImageLength;

    public Span<float> Slot(int index) => Image(index);
}

/// <summary>The raw output of one run, per image, on pooled memory.</summary>
public sealed class DetectorOutput : PooledImageBuffer
{
    internal DetectorOutput(ArrayPool<float> pool, int batchSize, int imageLength)
        : base(pool, batchSize, imageLength)
    {
    }

    public int BatchSize => ImageCount;

    public ReadOnlySpan<float> ForImage(int index) => Image(index);
}
