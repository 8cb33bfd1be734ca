using System.Globalization;
using System.Runtime.InteropServices;

namespace Inference.Testing;

/// <summary>
/// The process's resident memory from /proc, including what native code (Skia's codecs) allocates, which
/// GC counters never see. The peak can be reset (clear_refs "5", Linux 4.0+), so a test can measure the peak
/// of one step.
/// </summary>
public static partial class ProcessMemory
{
    private static readonly Lazy<bool> PeakResettable = new(() => TryResetPeak());

    /// <summary>False where /proc is missing or read-only (not Linux, or a locked-down container).</summary>
    public static bool CanMeasurePeak => PeakResettable.Value;

    public static long ResidentBytes => Read("VmRSS:");

    public static long PeakResidentBytes => Read("VmHWM:");

    /// <summary>
    /// Makes the peak equal the current resident size, after handing freed native heap back to the system, so
    /// memory an earlier step freed but glibc kept does not hide the next step's allocations.
    /// </summary>
    public static void ResetPeak()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = MallocTrim(0);
        }

        if (!TryResetPeak())
        {
            throw new InvalidOperationException("The peak resident size cannot be reset here (/proc/self/clear_refs is not writable).");
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    private static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long Read(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kilobytes = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/self/status has no {field} line.");
    }
}
