using System.Globalization;
using System.Runtime.InteropServices;
using Inference.Core.Hosting;

namespace Inference.Core.Tests.Hosting;

/// <summary>Large native blocks go back to the system as soon as they are freed, however often they were reused.</summary>
public sealed class NativeHeapTests
{
    private const int Block = 2 << 20;

    [Fact]
    public void Freed_large_blocks_leave_the_resident_set_at_once()
    {
        Assert.True(NativeHeap.MapLargeAllocations());

        // Without the held threshold, this first free raises it to 2 MiB and the blocks below come from an arena.
        Marshal.FreeHGlobal(Marshal.AllocHGlobal(Block));
        var ones = Enumerable.Repeat((byte)1, Block).ToArray();
        var blocks = Enumerable.Range(0, 48).Select(_ => Marshal.AllocHGlobal(Block)).ToArray();
        foreach (var block in blocks)
        {
            Marshal.Copy(ones, 0, block, Block);
        }

        var touched = ResidentMb();
        foreach (var block in blocks)
        {
            Marshal.FreeHGlobal(block);
        }

        var after = ResidentMb();
        Assert.True(touched - after >= 90, $"Resident {touched} MB before the frees, {after} MB after.");
    }

    private static long ResidentMb() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
}
