using System.Runtime.InteropServices;
using Inference.Core.Hosting;

namespace Inference.Core.Tests.Hosting;

/// <summary>Large native blocks get mappings of their own, however often a block of their size was freed before.</summary>
public sealed partial class NativeHeapTests
{
    // Below glibc's 32 MiB ceiling for its own threshold, and larger than any free chunk a busy test process's arenas
    // are likely to hold (a large request is served from a free chunk that fits before any mapping is considered).
    private const int Block = 24 << 20;

    [Fact]
    public void A_large_block_is_mapped_even_after_one_of_its_size_was_freed()
    {
        Assert.True(NativeHeap.MapLargeAllocations());

        // By default this free raises glibc's threshold to 24 MiB, and the next such block comes from an arena.
        Marshal.FreeHGlobal(Marshal.AllocHGlobal(Block));

        // Other tests allocate and free beside this one, so the mapped total may move on its own; one clean look of
        // three is enough, and without the held threshold none can see the block mapped.
        var mapped = Enumerable.Range(0, 3).Any(_ =>
        {
            var before = MappedBytes();
            var block = Marshal.AllocHGlobal(Block);
            var during = MappedBytes();
            Marshal.FreeHGlobal(block);
            return during - before >= Block;
        });

        Assert.True(mapped, "A 24 MiB block came from an arena instead of a mapping of its own.");
    }

    private static long MappedBytes() => (long)MallInfo2().MappedBytes;

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
