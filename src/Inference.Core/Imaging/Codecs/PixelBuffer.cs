using System.Buffers;
using System.Runtime.InteropServices;

namespace Inference.Core.Imaging.Codecs;

/// <summary>
/// Memory for decoded pixels. Up to <see cref="PooledLimit"/> (every DCT-scaled photo, and anything up to
/// 4 MP) it is rented from the shared array pool and returned on dispose, so a steady stream of requests makes
/// no garbage. Larger buffers are native memory, freed on dispose: glibc maps them on their own pages and gives
/// them back to the system at once, where a pooled 160 MB array would stay cached long after a spike.
/// </summary>
internal sealed unsafe class PixelBuffer : IDisposable
{
    public const int PooledLimit = 16 << 20;

    private byte[]? _array;
    private NativeBlock? _native;

    private PixelBuffer(int length)
    {
        Length = length;
        if (length <= PooledLimit)
        {
            _array = ArrayPool<byte>.Shared.Rent(length);
        }
        else
        {
            _native = new NativeBlock(length);
        }
    }

    public int Length { get; }

    public Span<byte> Span => _array is { } array
        ? array.AsSpan(0, Length)
        : new Span<byte>((void*)(_native ?? throw new ObjectDisposedException(nameof(PixelBuffer))).DangerousGetHandle(), Length);

    public static PixelBuffer Rent(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, int.MaxValue);
        return new PixelBuffer((int)length);
    }

    public void Dispose()
    {
        if (_array is { } array)
        {
            _array = null;
            ArrayPool<byte>.Shared.Return(array);
        }

        _native?.Dispose();
        _native = null;
    }

    /// <summary>Frees the native block even if a caller forgets to dispose the image.</summary>
    private sealed class NativeBlock : SafeHandle
    {
        public NativeBlock(int length)
            : base(IntPtr.Zero, ownsHandle: true)
        {
            SetHandle((IntPtr)NativeMemory.Alloc((nuint)length));
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            NativeMemory.Free((void*)handle);
            return true;
        }
    }
}
