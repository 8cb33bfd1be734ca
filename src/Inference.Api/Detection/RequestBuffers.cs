using Inference.Core.Serving;
using Microsoft.IO;

namespace Inference.Api.Detection;

/// <summary>
/// Pooled memory for request bodies. The pools keep at most a few bodies' worth when idle, so memory comes back
/// after a burst of large uploads instead of staying at the peak.
/// </summary>
internal static class RequestBuffers
{
    public static RecyclableMemoryStreamManager Create(LimitsOptions limits) => new(new RecyclableMemoryStreamManager.Options
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
