using Inference.Core.Imaging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Inference.Core.Backends;

/// <summary>
/// Storage for a fixed number of images, allocated once from <see cref="HostMemory"/> (CUDA-pinned when CUDA runs)
/// and reused through its pool. ORT reads and writes it in place through tensors made once per batch size and
/// kept with the buffer, so a run creates no tensor and copies nothing on the host.
/// </summary>
public abstract class PooledImageBuffer : IDisposable
{
    private readonly ImageBufferPool _pool;
    private readonly OrtValue _memory;
    private readonly IntPtr _address;
    private readonly OrtValue?[] _tensors;
    private bool _rented;
    private bool _freed;

    private protected PooledImageBuffer(ImageBufferPool pool)
    {
        _pool = pool;
        _memory = pool.Memory.Allocate(pool.ElementType, [pool.Capacity, .. pool.ImageShape]);
        _address = HostMemory.AddressOf(_memory);
        _tensors = new OrtValue?[pool.Capacity];
        _tensors[^1] = _memory;
    }

    /// <summary>Images it has room for.</summary>
    public int Capacity => _pool.Capacity;

    /// <summary>Bytes per image.</summary>
    public int ImageBytes => _pool.ImageBytes;

    /// <summary>Every byte of the buffer, for filling it whole (warm-up).</summary>
    public unsafe Span<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_freed, this);
            return new Span<byte>((void*)_address, Capacity * ImageBytes);
        }
    }

    /// <summary>Tensors created so far (one per batch size used): a measure of reuse.</summary>
    public int TensorsCreated => _tensors.Count(t => t is not null);

    internal IntPtr Pointer => _address;

    internal bool IsFreed => _freed;

    /// <summary>
    /// The tensor over the first <paramref name="images"/> images, shaped [images, …]: created on first use and
    /// kept for every later run of that size.
    /// </summary>
    public OrtValue Tensor(int images)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(images);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(images, Capacity);
        ObjectDisposedException.ThrowIf(_freed, this);
        return _tensors[images - 1] ??= OrtValue.CreateTensorValueWithData(
            _pool.Memory.Info, _pool.ElementType, [images, .. _pool.ImageShape], _address, (long)images * ImageBytes);
    }

    private protected unsafe Span<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Capacity, nameof(index));
        ObjectDisposedException.ThrowIf(_freed, this);
        return new Span<byte>((byte*)_address + ((long)index * ImageBytes), ImageBytes);
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

    /// <summary>Frees the tensors and the memory; the pool does this for buffers it does not keep.</summary>
    internal void Free()
    {
        if (_freed)
        {
            return;
        }

        _freed = true;
        foreach (var tensor in _tensors.AsSpan(0, Capacity - 1))
        {
            tensor?.Dispose();
        }

        _pool.Memory.Free(_memory);
    }
}

/// <summary>
/// Keeps a few buffers of one size for reuse and frees the rest. Once disposed it keeps none: buffers still rented
/// (an output a request is reading) are freed when they come back.
/// </summary>
public abstract class ImageBufferPool : IDisposable
{
    private readonly Stack<PooledImageBuffer> _free = new();
    private readonly Lock _lock = new();
    private bool _disposed;

    private protected ImageBufferPool(HostMemory memory, int capacity, TensorElementType elementType, long[] imageShape, int retained)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(imageShape);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Memory = memory;
        Capacity = capacity;
        ElementType = elementType;
        ImageShape = imageShape;
        Retained = retained;
        var elements = imageShape.Aggregate(1L, (product, dim) => product * dim);
        ImageBytes = checked((int)(elements * (elementType == TensorElementType.UInt8 ? sizeof(byte) : sizeof(float))));
    }

    public HostMemory Memory { get; }

    public int Capacity { get; }

    public TensorElementType ElementType { get; }

    /// <summary>One image's dimensions, without the batch.</summary>
    public long[] ImageShape { get; }

    public int ImageBytes { get; }

    /// <summary>Buffers kept for reuse at most: enough for every runner plus one forming and one waiting batch.</summary>
    public int Retained { get; }

    /// <summary>Buffers waiting in the pool.</summary>
    public int Pooled
    {
        get
        {
            lock (_lock)
            {
                return _free.Count;
            }
        }
    }

    private protected T RentBuffer<T>(Func<T> create)
        where T : PooledImageBuffer
    {
        PooledImageBuffer? buffer = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _free.TryPop(out buffer);
        }

        buffer ??= create();
        buffer.MarkRented();
        return (T)buffer;
    }

    /// <summary>Frees the pooled buffers beyond <paramref name="keep"/>: after a burst, the pool need not stay at its peak.</summary>
    public void Trim(int keep)
    {
        // The buffers are the provider's memory (pinned on CUDA), not the GC's: each one is freed, never dropped.
        var surplus = new List<PooledImageBuffer>();
        lock (_lock)
        {
            while (_free.Count > keep)
            {
                surplus.Add(_free.Pop());
            }
        }

        foreach (var buffer in surplus)
        {
            buffer.Free();
        }
    }

    internal void Return(PooledImageBuffer buffer)
    {
        lock (_lock)
        {
            if (!_disposed && _free.Count < Retained)
            {
                _free.Push(buffer);
                return;
            }
        }

        buffer.Free();
    }

    public void Dispose()
    {
        PooledImageBuffer[] kept;
        lock (_lock)
        {
            _disposed = true;
            kept = [.. _free];
            _free.Clear();
        }

        foreach (var buffer in kept)
        {
            buffer.Free();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>A pooled batch input with <see cref="PooledImageBuffer.Capacity"/> image slots for one model run.</summary>
public sealed class BatchTensor : PooledImageBuffer
{
    internal BatchTensor(BatchTensorPool pool)
        : base(pool)
    {
        Layout = pool.Layout;
    }

    public SlotLayout Layout { get; }

    /// <summary>One image's slot as bytes, whatever the layout.</summary>
    public Span<byte> SlotBytes(int index) => Image(index);

    /// <summary>One float32 NCHW slot.</summary>
    public Span<float> Slot(int index) => Layout == SlotLayout.Float32Nchw
        ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Image(index))
        : throw new InvalidOperationException("This batch holds uint8 NHWC slots; use SlotBytes.");
}

/// <summary>The raw float32 output of one run, per image.</summary>
public sealed class BatchOutput : PooledImageBuffer
{
    internal BatchOutput(BatchOutputPool pool)
        : base(pool)
    {
    }

    public ReadOnlySpan<float> ForImage(int index) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Image(index));
}

public sealed class BatchTensorPool : ImageBufferPool, Scheduling.IBatchBuffers<BatchTensor>
{
    public BatchTensorPool(HostMemory memory, ModelSignature signature, int capacity, int retained)
        : base(memory, capacity, Checked(signature).InputElementType, signature.SlotShape, retained)
    {
        Layout = signature.Layout;
    }

    public SlotLayout Layout { get; }

    public BatchTensor Rent() => RentBuffer(() => new BatchTensor(this));

    public void Release(BatchTensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.Dispose();
    }

    private static ModelSignature Checked(ModelSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return signature;
    }
}

public sealed class BatchOutputPool(HostMemory memory, ModelSignature signature, int capacity, int retained)
    : ImageBufferPool(memory, capacity, TensorElementType.Float, (signature ?? throw new ArgumentNullException(nameof(signature))).OutputImageShape, retained)
{
    public BatchOutput Rent() => RentBuffer(() => new BatchOutput(this));
}
