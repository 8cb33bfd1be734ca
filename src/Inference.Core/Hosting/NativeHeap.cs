using System.Runtime.InteropServices;

namespace Inference.Core.Hosting;

/// <summary>
/// Keeps the native heap close to what is live. Skia's codecs, ONNX Runtime and the batch buffers allocate through
/// malloc; glibc keeps what they free in its arenas, so after a burst of large images the process would stay at its
/// peak: large blocks get mappings of their own (<see cref="MapLargeAllocations"/>), and the rest is trimmed when
/// idle (<see cref="Trim"/>).
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

    /// <summary>glibc's M_MMAP_THRESHOLD for mallopt.</summary>
    private const int MmapThreshold = -3;

    /// <summary>The smallest allocation that gets its own mapping: glibc's own starting value, held there.</summary>
    public const int MappedFromBytes = 128 * 1024;

    /// <summary>
    /// Gives every native allocation of <see cref="MappedFromBytes"/> or more its own mapping, returned to the system
    /// the moment it is freed. By default glibc raises that threshold each time such a block is freed (up to 32 MiB),
    /// after which batch tensors, decoded pixels and codec buffers come from its per-thread arenas, which keep their
    /// high-water mark: under a mixed load the service grew by 180 MB where it grows by 120 MB with the threshold held
    /// (README, "Memory under load and after it"). The pools reuse the large buffers, so the extra mappings are rare.
    /// Left alone when the operator set <c>MALLOC_MMAP_THRESHOLD_</c>; false where there is no glibc.
    /// </summary>
    public static bool MapLargeAllocations()
    {
        if (!OperatingSystem.IsLinux() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_")))
        {
            return false;
        }

        try
        {
            return Mallopt(MmapThreshold, MappedFromBytes) == 1;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
