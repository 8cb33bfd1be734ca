using Inference.Api.Detection;
using Inference.Core.Hosting;
using Inference.Core.Repository;
using Microsoft.Extensions.Options;

namespace Inference.Api.Hosting;

/// <summary>When idle memory is given back (configuration section <c>Memory</c>).</summary>
public sealed class MemoryOptions
{
    public const string Section = "Memory";

    /// <summary>Seconds without a request, after traffic, before the service gives memory back; 0 turns it off.</summary>
    [SettingRange("Memory:IdleReleaseSeconds", 0, 3600)]
    public int IdleReleaseSeconds { get; set; } = 10;
}

[OptionsValidator]
public sealed partial class MemoryOptionsValidator : IValidateOptions<MemoryOptions>;

/// <summary>Counts requests as they finish, so idleness is a fact rather than a guess.</summary>
public sealed class RequestActivity
{
    private long _finished;
    private int _inFlight;

    public long Finished => Interlocked.Read(ref _finished);

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Started() => Interlocked.Increment(ref _inFlight);

    public void Ended()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _finished);
    }
}

/// <summary>
/// Gives memory back once traffic stops: after a burst the GC has no reason to run (nothing allocates), so the heap,
/// the pools' trimming (ArrayPool trims on gen-2 collections) and glibc's arenas would all stay at the peak. Once the
/// service has been idle for <see cref="MemoryOptions.IdleReleaseSeconds"/> after serving something, the models drop
/// the batch buffers a burst left in their pools, the request-body pools are emptied, one aggressive collection
/// compacts and decommits the heap, and malloc_trim returns freed native memory. It runs once per idle period, never
/// under load.
/// </summary>
internal sealed partial class IdleMemoryRelease(
    RequestActivity activity, ModelRepository models, RequestBuffers bodies, IOptions<MemoryOptions> options, TimeProvider time, ILogger<IdleMemoryRelease> logger)
    : BackgroundService
{
    /// <summary>What a release does; tests count calls instead.</summary>
    internal Action? Release { get; init; }

    /// <summary>Released once per tick the loop has judged, so a test knows a tick was seen without sleeping.</summary>
    internal SemaphoreSlim Ticks { get; } = new(0);

    /// <summary>Completes once the timer runs (ExecuteAsync starts on a pool thread), so a test's first tick counts.</summary>
    internal TaskCompletionSource Watching { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idleFor = TimeSpan.FromSeconds(options.Value.IdleReleaseSeconds);
        if (idleFor == TimeSpan.Zero)
        {
            return;
        }

        var released = activity.Finished;
        var seen = released;
        var quietSince = time.GetTimestamp();
        using var timer = new PeriodicTimer(idleFor / 2, time);
        Watching.TrySetResult();
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var finished = activity.Finished;
            if (finished != seen || activity.InFlight > 0)
            {
                seen = finished;
                quietSince = time.GetTimestamp();
            }
            else if (finished != released && time.GetElapsedTime(quietSince) >= idleFor)
            {
                released = finished;
                var before = GC.GetGCMemoryInfo().TotalCommittedBytes >> 20;
                (Release ?? ReleaseNow)();
                var after = GC.GetGCMemoryInfo().TotalCommittedBytes >> 20;
                LogReleased(logger, before, after);
            }

            Ticks.Release();
        }
    }

    private void ReleaseNow()
    {
        models.TrimBuffers();
        bodies.Trim();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Idle after traffic: memory given back (managed heap committed {Before} MiB to {After} MiB)")]
    private static partial void LogReleased(ILogger logger, long before, long after);
}
