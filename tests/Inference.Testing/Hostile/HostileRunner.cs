using System.Diagnostics;
using Inference.Core.Imaging;

namespace Inference.Testing.Hostile;

/// <summary>What one hostile case cost and what the decoder answered.</summary>
/// <param name="Estimate">The probe's <see cref="ImageProbe.DecodeBytes"/>, or 0 when the header was refused.</param>
/// <param name="PeakResidentGrowth">Resident-memory peak above the start, native allocations included; 0 where it cannot be measured.</param>
public sealed record HostileRun(
    HostileCase Case,
    HostileOutcome Outcome,
    ImageFailureReason? Reason,
    string Message,
    TimeSpan Elapsed,
    long ManagedBytes,
    long Estimate,
    long PeakResidentGrowth);

/// <summary>
/// Decodes hostile cases one at a time, each on its own thread under a watchdog (a hang is reported and the
/// thread left behind, instead of stalling the run), measuring time, managed allocation and the resident peak.
/// Shared by the Core tests and the hostile benchmark so both judge a case the same way.
/// </summary>
public static class HostileRunner
{
    /// <summary>Managed bytes a decode may allocate beside its pixel buffers (codec objects, ranges, messages).</summary>
    public const long ManagedAllowance = 1 << 20;

    /// <summary>Resident growth allowed beyond the probe's estimate (allocator slack, code paged in on first use).</summary>
    public const long ResidentAllowance = 32L << 20;

    /// <summary>Grace beyond the decode budget for scheduling on a loaded machine.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    /// <summary>Runs one case; null when it was still running after <paramref name="watchdog"/>.</summary>
    public static HostileRun? Run(ImageDecoder decoder, HostileCase hostile, ImageTarget target, TimeSpan watchdog)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(hostile);
        HostileRun? result = null;
        var thread = new Thread(() => result = Measure(decoder, hostile, target)) { IsBackground = true, Name = hostile.Name };
        thread.Start();
        return thread.Join(watchdog) ? result : null;
    }

    /// <summary>Everything wrong with a run: the wrong outcome, over the time budget, or more memory than allowed.</summary>
    public static IEnumerable<string> Problems(HostileRun run, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(limits);
        var hostile = run.Case;
        if (run.Outcome == HostileOutcome.Either)
        {
            yield return $"{hostile}: {run.Message}";
        }
        else if (hostile.Outcome == HostileOutcome.Decodes && run.Outcome != HostileOutcome.Decodes)
        {
            yield return $"{hostile}: expected an image, got {run.Reason}: {run.Message}";
        }
        else if (hostile.Outcome == HostileOutcome.Fails && (run.Outcome != HostileOutcome.Fails || run.Reason != hostile.Reason))
        {
            yield return $"{hostile}: expected {hostile.Reason}, got {(run.Reason is { } r ? r.ToString() : "an image")}: {run.Message}";
        }

        if (run.Elapsed > limits.DecodeTimeout + Grace)
        {
            yield return $"{hostile}: took {run.Elapsed.TotalMilliseconds:0} ms, beyond the {limits.DecodeTimeout.TotalMilliseconds:0} ms budget.";
        }

        // A pooled pixel buffer is allocated the first time its size is rented (the probe counts it); everything
        // else a decode allocates must stay small, whatever the input inflates to.
        if (run.ManagedBytes > ManagedAllowance + run.Estimate)
        {
            yield return $"{hostile}: allocated {run.ManagedBytes >> 10} KiB of managed memory.";
        }

        if (run.PeakResidentGrowth > run.Estimate + ResidentAllowance)
        {
            yield return $"{hostile}: resident memory peaked {run.PeakResidentGrowth >> 20} MiB above its start, beyond the probe's {run.Estimate >> 20} MiB estimate.";
        }
    }

    private static HostileRun Measure(ImageDecoder decoder, HostileCase hostile, ImageTarget target)
    {
        long estimate = 0;
        try
        {
            estimate = decoder.Probe(hostile.Data, target).DecodeBytes;
        }
        catch (ImageDecodeException)
        {
            // Refused from the header: the decode must allocate next to nothing.
        }

        // Where /proc cannot be reset the resident figure stays 0; time and managed memory are still measured.
        var measurePeak = ProcessMemory.CanMeasurePeak;
        if (measurePeak)
        {
            ProcessMemory.ResetPeak();
        }

        var resident = ProcessMemory.ResidentBytes;

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        HostileOutcome outcome;
        ImageFailureReason? reason = null;
        string message;
        try
        {
            using var image = decoder.Decode(hostile.Data, target, CancellationToken.None);
            (outcome, message) = (HostileOutcome.Decodes, $"{image.Width}×{image.Height}");
        }
        catch (ImageDecodeException ex)
        {
            (outcome, reason, message) = (HostileOutcome.Fails, ex.Reason, ex.Message);
        }
        catch (Exception ex)
        {
            // Anything else escaping the decoder is a defect; Either marks it for Problems.
            (outcome, message) = (HostileOutcome.Either, $"escaped as {ex.GetType().Name}: {ex.Message}");
        }

        clock.Stop();
        var managed = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var growth = measurePeak ? ProcessMemory.PeakResidentBytes - resident : 0;
        return new HostileRun(hostile, outcome, reason, message, clock.Elapsed, managed, estimate, growth);
    }
}
