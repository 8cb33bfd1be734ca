using Google.Protobuf;
using Inference.Core.Backends;
using Inference.Core.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Core.Tests.Backends;

/// <summary>
/// One instance and its one IOBinding, over a model that doubles its input: every run reads the batch as it is
/// now (a stale binding would answer with an earlier batch), in any order of buffers and sizes.
/// </summary>
public sealed class OnnxInstanceTests : IDisposable
{
    private static readonly ModelSignature Signature = new("images", 3, 4, 4, null, "output", 3, 16);
    private readonly HostMemory _memory = HostMemory.Cpu();
    private readonly BatchTensorPool _inputs;
    private readonly BatchOutputPool _outputs;

    public OnnxInstanceTests()
    {
        _inputs = new BatchTensorPool(_memory, Signature, 4, 4);
        _outputs = new BatchOutputPool(_memory, Signature, 4, 4);
    }

    public void Dispose()
    {
        _inputs.Dispose();
        _outputs.Dispose();
        _memory.Dispose();
    }

    [Fact]
    public void Runs_read_each_batch_as_it_is_now_across_buffers_and_sizes()
    {
        using var instance = new OnnxInstance(Session(DoublingModel(dynamicBatch: true)), Signature, _outputs);
        using var a = _inputs.Rent();
        using var b = _inputs.Rent();

        Fill(a, 1);
        using (var first = instance.Run(a, 2))
        {
            AssertDoubled(first, a, 2);
        }

        Fill(b, 100);
        using (var second = instance.Run(b, 3))
        {
            AssertDoubled(second, b, 3);
        }

        Fill(a, 1000);
        using var third = instance.Run(a, 2);
        AssertDoubled(third, a, 2);
        Assert.Equal(2000f, third.ForImage(0)[0]);
        Assert.Equal(2, a.TensorsCreated);
    }

    [Fact]
    public void A_static_batch_model_runs_its_whole_batch_for_fewer_images()
    {
        var signature = Signature with { StaticBatchSize = 4 };
        using var instance = new OnnxInstance(Session(DoublingModel(dynamicBatch: false)), signature, _outputs);
        using var batch = _inputs.Rent();
        Fill(batch, 5);

        using var output = instance.Run(batch, 1);

        AssertDoubled(output, batch, 4);
        Assert.Equal(1, batch.TensorsCreated);
    }

    [Fact]
    public void A_failed_run_gives_its_output_back_to_the_pool()
    {
        var wrong = Signature with { OutputColumns = 15 };
        using var outputs = new BatchOutputPool(_memory, wrong, 4, 4);
        using var instance = new OnnxInstance(Session(DoublingModel(dynamicBatch: true)), wrong, outputs);
        using var batch = _inputs.Rent();

        Assert.Throws<OnnxRuntimeException>(() => instance.Run(batch, 1));
        Assert.Equal(1, outputs.Pooled);
    }

    private static void Fill(BatchTensor batch, float start)
    {
        for (var i = 0; i < batch.Capacity; i++)
        {
            var slot = batch.Slot(i);
            for (var j = 0; j < slot.Length; j++)
            {
                slot[j] = start + (i * slot.Length) + j;
            }
        }
    }

    private static void AssertDoubled(BatchOutput output, BatchTensor batch, int images)
    {
        for (var i = 0; i < images; i++)
        {
            var expected = batch.Slot(i).ToArray().Select(v => v * 2).ToArray();
            Assert.Equal(expected, output.ForImage(i).ToArray());
        }
    }

    private static InferenceSession Session(byte[] model) => new(model);

    /// <summary>output[n, c, h·w] = 2 · images[n, c, h, w].</summary>
    private static byte[] DoublingModel(bool dynamicBatch)
    {
        object batch = dynamicBatch ? "batch" : 4;
        var g = new OnnxGraphBuilder("doubling");
        var images = g.Input("images", batch, 3, 4, 4);
        var doubled = g.Node("Mul", [images, g.Scalar(2)]);
        g.NodeNamed("Reshape", "output", [doubled, g.Int64s(0, 3, 16)]);
        g.Output("output", batch, 3, 16);
        return g.Build(13, "tests", "doubles its input", new Dictionary<string, string>()).ToByteArray();
    }
}
