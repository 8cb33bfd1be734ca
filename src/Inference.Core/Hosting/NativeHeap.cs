using System.Runtime.InteropServices;

namespace Inference.Core.Hosting;

/// <summary>
/// Hands freed native heap back to the system. Skia's codecs and ONNX Runtime allocate through malloc; glibc keeps
/// what they free in its arenas, so after a burst of large images the process stays at its peak until told.
/// </summary>
public static partial class NativeHeap
{
    /// <summary>malloc_trim(0) on glibc; false where there is no such call (another libc, another OS).</summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return MallocTrim(0) != 0;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
