using Inference.Core.Scheduling;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Core.Backends;

/// <summary>One backend instance of a loaded model: a session that runs batches, and what it holds besides.</summary>
public interface IModelInstance : IBatchInstance<BatchTensor, BatchOutput>, IDisposable;

/// <summary>
/// One backend instance: an ORT session that runs a batch and nothing else, through one IOBinding kept for the
/// instance's life. Input and output are pooled host buffers (CUDA-pinned when CUDA runs) bound as they are:
/// <list type="bullet">
/// <item>On CPU, ORT reads the input and writes the output in place.</item>
/// <item>On CUDA, binding a host input is where ORT copies it to the device (IOBinding::BindInput calls
/// CopyOneInputAcrossDevices): from pinned memory, one synchronous DMA copy, done before the bind returns. The
/// output is produced on the device and copied into the pinned output by the run itself, which synchronises its
/// stream before returning (we never set <c>disable_synchronize_execution_providers</c>). So no pageable copy
/// happens, and neither SynchronizeBoundInputs nor SynchronizeBoundOutputs is called: both are a device-wide
/// cudaDeviceSynchronize, which would make one instance wait for the other's kernels and undo the overlap that
/// two instances per GPU exist for.</item>
/// </list>
/// Because binding an input is the copy, the input is bound again for every run (a bind made once would run the
/// first batch's pixels forever on CUDA); the tensors themselves are made once per buffer and batch size. A
/// static-batch model always runs its fixed batch: the slots past the live ones hold stale data whose outputs
/// nobody reads.
/// </summary>
public sealed class OnnxInstance : IModelInstance
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _binding;
    private readonly ModelSignature _signature;
    private readonly BatchOutputPool _outputs;

    public OnnxInstance(InferenceSession session, ModelSignature signature, BatchOutputPool outputs)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(outputs);
        _session = session;
        _signature = signature;
        _outputs = outputs;
        _binding = session.CreateIoBinding();
    }

    public BatchOutput Run(BatchTensor batch, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, batch.Capacity);
        var run = _signature.StaticBatchSize ?? count;
        var output = _outputs.Rent();
        try
        {
            _binding.BindInput(_signature.InputName, batch.Tensor(run));
            _binding.BindOutput(_signature.OutputName, output.Tensor(run));
            _session.RunWithBinding(_runOptions, _binding);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
        finally
        {
            // Nothing bound outlives the run: the buffers go back to their pools, and may be freed there.
            _binding.ClearBoundInputs();
            _binding.ClearBoundOutputs();
        }
    }

    public void Dispose()
    {
        _binding.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
    }
}
