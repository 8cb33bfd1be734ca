using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Testing.Gpu;

/// <summary>
/// Whether this test process can run ONNX Runtime on a GPU, asked once: an NVIDIA driver that initialises and
/// reports a device, then ONNX Runtime's CUDA provider in this build. Each answer that is not "yes" is the sentence a
/// skipped GPU test shows. <c>GetAvailableProviders()</c> cannot answer this: it lists CUDA wherever the GPU package
/// is referenced, GPU or not.
/// </summary>
public static unsafe class CudaAvailability
{
    private static readonly Lazy<string?> DeviceProblem = new(ProbeDevice);
    private static readonly Lazy<string?> ProviderProblem = new(ProbeProvider);

    /// <summary>Null when a CUDA device is present (whatever this build can do with it); else why not.</summary>
    public static string? NoDeviceReason => DeviceProblem.Value;

    /// <summary>Null when this process can open CUDA sessions; else why not.</summary>
    public static string? SkipReason => DeviceProblem.Value ?? ProviderProblem.Value;

    public static bool Available => SkipReason is null;

    private static string? ProbeDevice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "The GPU tests run on Linux only (the images and CodeBuild's GPU hosts are Linux).";
        }

        if (!NativeLibrary.TryLoad("libcuda.so.1", out var driver))
        {
            return "No NVIDIA driver on this host (libcuda.so.1 is not loadable).";
        }

        // The driver API itself: a host with the library but no visible device (a container without --gpus) says so here.
        var init = (delegate* unmanaged<uint, int>)NativeLibrary.GetExport(driver, "cuInit");
        var status = init(0);
        if (status != 0)
        {
            return $"The NVIDIA driver did not initialise (cuInit returned CUDA error {status}): no usable GPU is visible.";
        }

        var count = 0;
        var deviceCount = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(driver, "cuDeviceGetCount");
        status = deviceCount(&count);
        return status != 0 || count == 0 ? $"The NVIDIA driver reports no CUDA device (cuDeviceGetCount: error {status}, {count} devices)." : null;
    }

    private static string? ProbeProvider()
    {
        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(0);
            return null;
        }
        catch (EntryPointNotFoundException)
        {
            return "This build references the CPU ONNX Runtime package; build with -p:OnnxRuntimeFlavor=Gpu to run the GPU tests.";
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException)
        {
            return $"ONNX Runtime's CUDA provider does not load here (CUDA 13 and cuDNN 9 libraries on the library path?): {ex.Message}";
        }
    }
}
