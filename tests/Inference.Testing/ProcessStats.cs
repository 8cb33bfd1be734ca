using System.Globalization;

namespace Inference.Testing;

/// <summary>
/// Another process's CPU time and resident memory, read from /proc: what a request cost the service, whatever
/// thread or native library spent it. The resident peak can be reset (clear_refs "5") to measure one request.
/// </summary>
public static class ProcessStats
{
    private static readonly double TicksPerSecond = ReadClockTicks();

    /// <summary>User plus system CPU time the process has used so far.</summary>
    public static TimeSpan Cpu(int pid)
    {
        // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 14th, stime the 15th.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    public static long ResidentBytes(int pid) => Read(pid, "VmRSS:");

    public static long PeakResidentBytes(int pid) => Read(pid, "VmHWM:");

    /// <summary>Makes the process's peak equal its current resident size; false where /proc does not allow it.</summary>
    public static bool TryResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long Read(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {field} line.");
    }

    // USER_HZ is 100 on every Linux this runs on; getconf confirms it where available.
    private static double ReadClockTicks() => 100;
}
