using System.Runtime.InteropServices;
using Inference.Core.Hosting;

namespace Inference.Core.Tests.Hosting;

/// <summary>Large native blocks get mappings of their own, however often a block of their size was freed before.</summary>
public sealed partial class NativeHeapTests
{
    // Below glibc's 32 MiB ceiling for its own threshold, so without the held threshold this size leaves mappings.
    private const int Block = 24 << 20;

    [Fact]
    public void A_large_block_is_mapped_even_after_one_of_its_size_was_freed()
    {
        Assert.True(NativeHeap.MapLargeAllocations());

        // By default this free raises glibc's threshold to 24 MiB, and the next such block comes from an arena.
        Marshal.FreeHGlobal(Marshal.AllocHGlobal(Block));

        // A large request is served from a free arena chunk that fits before any mapping is considered, and other
        // tests in this process allocate and free beside this one: only while the arenas hold less free memory than
        // the block does its placement tell the threshold apart, and then one clean look of three must see it mapped.
        if ((long)MallInfo2().Free >= Block)
        {
            return;
        }

        var mapped = Enumerable.Range(0, 3).Any(_ =>
        {
            var before = (long)MallInfo2().MappedBytes;
            var block = Marshal.AllocHGlobal(Block);
            var during = (long)MallInfo2().MappedBytes;
            Marshal.FreeHGlobal(block);
            return during - before >= Block;
        });

        Assert.True(mapped, "A 24 MiB block came from an arena instead of a mapping of its own.");
    }

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallocInfo MallInfo2();

    /// <summary>glibc's struct mallinfo2; hblkhd (bytes in mmapped blocks) is the fifth field.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct MallocInfo
    {
        public readonly nuint Arena;
        public readonly nuint OrdinaryBlocks;
        public readonly nuint FastBinBlocks;
        public readonly nuint MappedRegions;
        public readonly nuint MappedBytes;
        public readonly nuint MaxUsed;
        public readonly nuint FastBinBytes;
        public readonly nuint Used;
        public readonly nuint Free;
        public readonly nuint TopReleasable;
    }
}
