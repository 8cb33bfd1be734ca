using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Inference.Core.Backends;

/// <summary>
/// Where pooled batch memory comes from. On CPU, ONNX Runtime's own CPU allocator: ORT reads and writes it in
/// place. On CUDA, the CUDA provider's pinned (page-locked) host allocator: the copies to and from the device are
/// DMA transfers, with no staging through a pageable buffer. Both go through the same code; only the allocator and
/// the memory info ORT sees differ.
/// </summary>
public sealed class HostMemory : IDisposable
{
    private readonly OrtAllocator _allocator;
    private readonly bool _ownsAllocator;
    private readonly Lock _lock = new();
    private int _live;
    private bool _disposed;

    private HostMemory(OrtAllocator allocator, bool ownsAllocator, bool cudaPinned)
    {
        _allocator = allocator;
        _ownsAllocator = ownsAllocator;
        IsCudaPinned = cudaPinned;
    }

    /// <summary>ONNX Runtime's CPU allocator (shared by the process), with its own count of live allocations.</summary>
    public static HostMemory Cpu() => new(OrtAllocator.DefaultInstance, ownsAllocator: false, cudaPinned: false);

    public bool IsCudaPinned { get; }

    public OrtMemoryInfo Info => _allocator.Info;

    /// <summary>Allocations not yet freed.</summary>
    public int LiveAllocations
    {
        get
        {
            lock (_lock)
            {
                return _live;
            }
        }
    }

    /// <summary>The CUDA provider's pinned host allocator of <paramref name="session"/>.</summary>
    /// <exception cref="OnnxRuntimeException">The session has no CUDA pinned allocator (no CUDA provider).</exception>
    public static HostMemory CudaPinned(InferenceSession session, int deviceId)
    {
        using var info = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.CpuOutput);
        return new HostMemory(new OrtAllocator(session, info), ownsAllocator: true, cudaPinned: true);
    }

    /// <summary>A tensor that owns its memory, from this allocator.</summary>
    internal OrtValue Allocate(TensorElementType elementType, long[] shape)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var allocation = OrtValue.CreateAllocatedTensorValue(_allocator, elementType, shape);
            _live++;
            return allocation;
        }
    }

    /// <summary>Where a tensor's data starts, host or device; only the address is taken, nothing is read.</summary>
    internal static unsafe IntPtr AddressOf(OrtValue tensor) =>
        (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.GetTensorMutableRawData()));

    internal void Free(OrtValue allocation)
    {
        bool release;
        lock (_lock)
        {
            allocation.Dispose();
            _live--;
            release = _disposed && _live == 0;
        }

        if (release)
        {
            ReleaseAllocator();
        }
    }

    /// <summary>
    /// No new allocations; the allocator itself goes once the last allocation is freed, since a buffer a request
    /// still reads (an output being postprocessed during shutdown) is freed through it later.
    /// </summary>
    public void Dispose()
    {
        bool release;
        lock (_lock)
        {
            release = !_disposed && _live == 0;
            _disposed = true;
        }

        if (release)
        {
            ReleaseAllocator();
        }
    }

    private void ReleaseAllocator()
    {
        // The CPU allocator belongs to ORT and lives as long as the process.
        if (_ownsAllocator)
        {
            _allocator.Dispose();
        }
    }
}
