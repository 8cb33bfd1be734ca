using System.Buffers;

namespace Inference.Core.Model;

/// <summary>A pooled NCHW float32 buffer holding <see cref="BatchSize"/> image slots for one model run.</summary>
public sealed class BatchTensor : IDisposable
{
    private readonly ArrayPool<float> _pool;
    private float[]? _buffer;

    internal BatchTensor(ArrayPool<float> pool, int batchSize, int slotLength)
    {
        _pool = pool;
        BatchSize = batchSize;
        SlotLength = slotLength;
        _buffer = pool.Rent(batchSize * slotLength);
    }

    public int BatchSize { get; }

    public int SlotLength { get; }

    internal float[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(BatchTensor));

    public Span<float> Slot(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)BatchSize, nameof(index));
        return Buffer.AsSpan(index * SlotLength, SlotLength);
    }

    internal Memory<float> Images(int start, int count) => Buffer.AsMemory(start * SlotLength, count * SlotLength);

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _pool.Return(buffer);
        }
    }
}

/// <summary>The raw output of one run, per image, on pooled memory.</summary>
public sealed class DetectorOutput : IDisposable
{
    private readonly ArrayPool<float> _pool;
    private float[]? _buffer;

    internal DetectorOutput(ArrayPool<float> pool, int batchSize, int imageLength)
    {
        _pool = pool;
        BatchSize = batchSize;
        ImageLength = imageLength;
        _buffer = pool.Rent(batchSize * imageLength);
    }

    public int BatchSize { get; }

    /// <summary>Floats of output per image.</summary>
    public int ImageLength { get; }

    internal float[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(DetectorOutput));

    public ReadOnlySpan<float> ForImage(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)BatchSize, nameof(index));
        return Buffer.AsSpan(index * ImageLength, ImageLength);
    }

    internal Memory<float> Images(int start, int count) => Buffer.AsMemory(start * ImageLength, count * ImageLength);

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _pool.Return(buffer);
        }
    }
}
