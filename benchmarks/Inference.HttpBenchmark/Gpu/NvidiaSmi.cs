using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Inference.HttpBenchmark.Gpu;

/// <summary>What <c>nvidia-smi</c> says about the GPU and its memory; null everywhere on a host without it.</summary>
internal static class NvidiaSmi
{
    /// <summary>"NVIDIA H200, driver 580.65, 143771 MiB", or null without nvidia-smi.</summary>
    public static string? Describe() =>
        Query("--query-gpu=name,driver_version,memory.total", "--format=csv,noheader,nounits")?.FirstOrDefault() is { } line
            && line.Split(',', StringSplitOptions.TrimEntries) is [var name, var driver, var memory, ..]
            ? $"{name}, driver {driver}, {memory} MiB"
            : null;

    /// <summary>MiB the process uses on the GPU, or the device's whole use when the process is not listed (another PID namespace).</summary>
    public static (long? ProcessMiB, long? DeviceMiB) MemoryOf(int pid)
    {
        long? process = null;
        foreach (var line in Query("--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits") ?? [])
        {
            if (line.Split(',', StringSplitOptions.TrimEntries) is [var p, var used] && p == pid.ToString(CultureInfo.InvariantCulture) && long.TryParse(used, CultureInfo.InvariantCulture, out var mib))
            {
                process = mib;
            }
        }

        var device = Query("--query-gpu=memory.used", "--format=csv,noheader,nounits")?.FirstOrDefault() is { } total && long.TryParse(total.Trim(), CultureInfo.InvariantCulture, out var d) ? d : (long?)null;
        return (process, device);
    }

    /// <summary>Samples <see cref="MemoryOf"/> every half second until cancelled; the peaks.</summary>
    public static async Task<(long? ProcessMiB, long? DeviceMiB)> PeakAsync(int pid, CancellationToken cancellationToken)
    {
        long? process = null, device = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (p, d) = MemoryOf(pid);
            process = Max(process, p);
            device = Max(device, d);
            if (d is null)
            {
                break;
            }

            try
            {
                await Task.Delay(500, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return (process, device);
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static string[]? Query(params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("nvidia-smi", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output.Split('\n', StringSplitOptions.RemoveEmptyEntries) : null;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }
}
