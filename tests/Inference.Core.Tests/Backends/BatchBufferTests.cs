using Inference.Core.Backends;
using Inference.Core.Imaging;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Inference.Core.Tests.Backends;

/// <summary>Pooled batch buffers: native memory from the provider's allocator, tensors made once, freed exactly once.</summary>
public sealed class BatchBufferTests
{
    private static readonly ModelSignature Float = new("images", 3, 4, 4, null, "output", 3, 16);
    private static readonly ModelSignature Bytes = Float with { Layout = SlotLayout.UInt8Nhwc };

    [Fact]
    public void A_tensor_is_made_once_per_batch_size_and_views_the_buffer_in_place()
    {
        using var memory = HostMemory.Cpu();
        using var pool = new BatchTensorPool(memory, Float, 4, 2);
        using var batch = pool.Rent();

        var two = batch.Tensor(2);
        batch.Slot(1)[5] = 42f;

        Assert.Same(two, batch.Tensor(2));
        Assert.Equal(2, batch.TensorsCreated); // size 2, and the whole buffer it was allocated as
        Assert.Equal([2, 3, 4, 4], two.GetTensorTypeAndShape().Shape);
        Assert.Equal(42f, two.GetTensorDataAsSpan<float>()[48 + 5]);
        Assert.Equal([4, 3, 4, 4], batch.Tensor(4).GetTensorTypeAndShape().Shape);
        Assert.Equal(2, batch.TensorsCreated);
    }

    [Fact]
    public void A_uint8_batch_holds_nhwc_bytes_and_refuses_float_access()
    {
        using var memory = HostMemory.Cpu();
        using var pool = new BatchTensorPool(memory, Bytes, 2, 1);
        using var batch = pool.Rent();

        batch.SlotBytes(1)[0] = 7;

        var tensor = batch.Tensor(2).GetTensorTypeAndShape();
        Assert.Equal(TensorElementType.UInt8, tensor.ElementDataType);
        Assert.Equal([2, 4, 4, 3], tensor.Shape);
        Assert.Equal(48, batch.ImageBytes);
        Assert.Equal(7, batch.Tensor(2).GetTensorDataAsSpan<byte>()[48]);
        Assert.Throws<InvalidOperationException>(() => batch.Slot(0).Length);
    }

    [Fact]
    public void The_pool_keeps_what_it_retains_and_frees_the_rest()
    {
        using var memory = HostMemory.Cpu();
        var pool = new BatchTensorPool(memory, Float, 2, retained: 1);
        var rented = Enumerable.Range(0, 3).Select(_ => pool.Rent()).ToArray();
        Assert.Equal(3, memory.LiveAllocations);

        foreach (var batch in rented)
        {
            batch.Dispose();
            batch.Dispose();
        }

        Assert.Equal((1, 1), (pool.Pooled, memory.LiveAllocations));
        Assert.Same(rented[0], pool.Rent());

        pool.Dispose();
        Assert.Equal(1, memory.LiveAllocations);
        rented[0].Dispose();
        Assert.Equal(0, memory.LiveAllocations);
    }

    [Fact]
    public void Trimming_after_a_burst_frees_the_surplus_native_memory_not_only_the_references()
    {
        using var memory = HostMemory.Cpu();
        using var pool = new BatchTensorPool(memory, Float, 2, retained: 4);
        var burst = Enumerable.Range(0, 4).Select(_ => pool.Rent()).ToArray();
        foreach (var batch in burst)
        {
            batch.Dispose();
        }

        Assert.Equal((4, 4), (pool.Pooled, memory.LiveAllocations));

        pool.Trim(keep: 1);

        Assert.Equal((1, 1), (pool.Pooled, memory.LiveAllocations));
    }

    [Fact]
    public void An_output_a_request_still_reads_outlives_the_pool_and_is_freed_when_let_go()
    {
        using var memory = HostMemory.Cpu();
        var pool = new BatchOutputPool(memory, Float, 2, retained: 4);
        var output = pool.Rent();
        output.Tensor(1).GetTensorMutableDataAsSpan<float>()[3] = 1.5f;

        pool.Dispose();

        Assert.Equal(1.5f, output.ForImage(0)[3]);
        Assert.Equal(1, memory.LiveAllocations);
        output.Dispose();
        Assert.Equal(0, memory.LiveAllocations);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }
}
