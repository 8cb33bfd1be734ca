using System.Runtime.InteropServices;

namespace Inference.Core.Backends;

/// <summary>
/// The few CUDA runtime calls the CUDA-graph path needs and ONNX Runtime's C# API does not offer: a copy stream of
/// our own and copies between pinned host memory and device buffers whose addresses a captured graph has baked in.
/// The library is the one ORT's CUDA provider loads (CUDA 13), so it is present wherever CUDA runs.
/// </summary>
internal static partial class CudaRuntime
{
    private const string Library = "libcudart.so.13";
    private const uint NonBlocking = 0x01;

    public static IntPtr CreateStream(int deviceId)
    {
        Check(SetDevice(deviceId), "cudaSetDevice");
        Check(StreamCreateWithFlags(out var stream, NonBlocking), "cudaStreamCreateWithFlags");
        return stream;
    }

    public static void DestroyStream(IntPtr stream) => Check(StreamDestroy(stream), "cudaStreamDestroy");

    /// <summary>Copies and waits for the copy on <paramref name="stream"/> only, not on the device (other instances' kernels run on).</summary>
    public static void Copy(int deviceId, IntPtr destination, IntPtr source, long bytes, CopyKind kind, IntPtr stream)
    {
        Check(SetDevice(deviceId), "cudaSetDevice");
        Check(MemcpyAsync(destination, source, (nuint)bytes, (int)kind, stream), "cudaMemcpyAsync");
        Check(StreamSynchronize(stream), "cudaStreamSynchronize");
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"{call} failed with CUDA error {error}: {Marshal.PtrToStringAnsi(GetErrorString(error))}");
        }
    }

    [LibraryImport(Library, EntryPoint = "cudaSetDevice")]
    private static partial int SetDevice(int device);

    [LibraryImport(Library, EntryPoint = "cudaStreamCreateWithFlags")]
    private static partial int StreamCreateWithFlags(out IntPtr stream, uint flags);

    [LibraryImport(Library, EntryPoint = "cudaStreamDestroy")]
    private static partial int StreamDestroy(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cudaMemcpyAsync")]
    private static partial int MemcpyAsync(IntPtr destination, IntPtr source, nuint count, int kind, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cudaStreamSynchronize")]
    private static partial int StreamSynchronize(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "cudaGetErrorString")]
    private static partial IntPtr GetErrorString(int error);

    public enum CopyKind
    {
        HostToDevice = 1,
        DeviceToHost = 2,
    }
}
