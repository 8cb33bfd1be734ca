using Inference.Core.Scheduling;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Core.Backends;

/// <summary>
/// One backend instance: an ORT session that runs a batch and nothing else. Input and output live in pooled pinned
/// buffers that ORT reads and writes in place. A static-batch model always runs its fixed batch: the slots past the
/// live ones hold stale data whose outputs nobody reads.
/// </summary>
public sealed class OnnxInstance : IBatchInstance<BatchTensor, BatchOutput>, IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly ModelSignature _signature;
    private readonly BatchOutputPool _outputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    public OnnxInstance(InferenceSession session, ModelSignature signature, BatchOutputPool outputs)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(outputs);
        _session = session;
        _signature = signature;
        _outputs = outputs;
        _inputNames = [signature.InputName];
        _outputNames = [signature.OutputName];
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
            using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, batch.Images(0, run), _signature.InputShape(run));
            using var outputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.Images(0, run), _signature.OutputShape(run));
            _session.Run(_runOptions, _inputNames, [inputValue], _outputNames, [outputValue]);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
