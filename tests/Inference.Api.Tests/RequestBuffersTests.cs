using Inference.Api.Detection;
using Inference.Core.Serving;

namespace Inference.Api.Tests;

/// <summary>Request-body pools keep a burst's buffers for the next one, until the idle release empties them.</summary>
public sealed class RequestBuffersTests
{
    [Fact]
    public void Trim_empties_the_pools_and_a_stream_still_open_finishes_on_the_old_ones()
    {
        var buffers = new RequestBuffers(new LimitsOptions());
        var before = buffers.Pools;
        var open = before.GetStream(Guid.Empty, "open", 0, asContiguousBuffer: true);
        using (var done = before.GetStream(Guid.Empty, "done", 0, asContiguousBuffer: true))
        {
            done.Write(new byte[3 << 20]);
            _ = done.GetBuffer();
        }

        Assert.True(before.LargePoolFreeSize + before.SmallPoolFreeSize >= 3 << 20);

        buffers.Trim();
        open.Write(new byte[1 << 20]);
        open.Dispose();

        Assert.NotSame(before, buffers.Pools);
        Assert.Equal((0, 0), (buffers.Pools.LargePoolFreeSize, buffers.Pools.SmallPoolFreeSize));
    }
}
