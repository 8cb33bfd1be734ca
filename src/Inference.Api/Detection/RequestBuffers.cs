using Inference.Core.Serving;
using Microsoft.IO;

namespace Inference.Api.Detection;

/// <summary>
/// Pooled memory for request bodies. The pools keep at most a few bodies' worth (8 MiB of small blocks, 32 MiB of
/// large buffers) for the next burst, and <see cref="Trim"/> drops even those once the service is idle, so memory
/// comes back after a burst of large uploads instead of staying at the peak.
/// </summary>
public sealed class RequestBuffers(LimitsOptions limits)
{
    private RecyclableMemoryStreamManager _pools = Create(limits);

    /// <summary>The pools new request bodies come from.</summary>
    public RecyclableMemoryStreamManager Pools => Volatile.Read(ref _pools);

    /// <summary>
    /// Starts over with empty pools: the manager has no way to empty its own, so a fresh one takes over, and the old
    /// one (with whatever it pooled) is garbage once the streams still open give their buffers back to it.
    /// </summary>
    public void Trim() => Volatile.Write(ref _pools, Create(limits));

    private static RecyclableMemoryStreamManager Create(LimitsOptions limits) => new(new RecyclableMemoryStreamManager.Options
    {
        BlockSize = 128 * 1024,
        LargeBufferMultiple = 1024 * 1024,
        // The largest pooled buffer holds the largest body; the manager wants it a whole number of LargeBufferMultiple.
        MaximumBufferSize = (int)Math.Min(((limits.MaxBodyBytes / (1024 * 1024)) + 1) * 1024 * 1024, 1 << 30),
        MaximumStreamCapacity = limits.MaxBodyBytes,
        MaximumSmallPoolFreeBytes = 8L * 1024 * 1024,
        MaximumLargePoolFreeBytes = 32L * 1024 * 1024,
    });
}

/// <summary>The budget of request bodies held at once (Limits:MaxBufferedBodyBytes), one per service.</summary>
public sealed class RequestBodyGate(LimitsOptions limits)
{
    public MemoryGate Gate { get; } = limits.CreateBodyGate();
}
