using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Inference.Core.Backends;

/// <summary>
/// A backend instance with ORT's CUDA graphs (<c>Inference:CudaGraphs</c>): each batch size is one captured graph
/// (<c>gpu_graph_id</c> = the size) that replays its kernels with one launch. A captured graph reads and writes
/// fixed device addresses, so, as ORT requires, input and output live in device buffers of this instance, bound
/// once per size and never rebound; each run copies the pooled pinned input into the device buffer and the result
/// out into a pinned output, explicitly, on a copy stream of the instance's own, waiting for that stream only.
/// ORT synchronises its compute stream at the end of every run, so the output copy starts after the kernels end,
/// and the next input copy cannot overwrite a buffer a run still reads.
/// </summary>
public sealed class CudaGraphInstance : IModelInstance
{
    /// <summary>Runs per size at warm-up: ORT runs a shape normally before it captures it, then replays it.</summary>
    public const int WarmUpRuns = 3;

    private readonly InferenceSession _session;
    private readonly ModelSignature _signature;
    private readonly BatchOutputPool _outputs;
    private readonly int _deviceId;
    private readonly OrtAllocator _device;
    private readonly OrtValue _input;
    private readonly OrtValue _output;
    private readonly IntPtr _inputAddress;
    private readonly IntPtr _outputAddress;
    private readonly OrtValue[] _inputs;
    private readonly OrtValue[] _results;
    private readonly OrtIoBinding[] _bindings;
    private readonly RunOptions[] _runOptions;
    private readonly IntPtr _stream;

    public CudaGraphInstance(InferenceSession session, ModelSignature signature, BatchOutputPool outputs, int capacity, int deviceId)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(outputs);
        _session = session;
        _signature = signature;
        _outputs = outputs;
        _deviceId = deviceId;
        var sizes = signature.StaticBatchSize ?? capacity;
        using var info = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default);
        _device = new OrtAllocator(session, info);
        _input = OrtValue.CreateAllocatedTensorValue(_device, signature.InputElementType, signature.InputShape(sizes));
        _output = OrtValue.CreateAllocatedTensorValue(_device, TensorElementType.Float, signature.OutputShape(sizes));
        _inputAddress = HostMemory.AddressOf(_input);
        _outputAddress = HostMemory.AddressOf(_output);
        _inputs = new OrtValue[sizes];
        _results = new OrtValue[sizes];
        _bindings = new OrtIoBinding[sizes];
        _runOptions = new RunOptions[sizes];
        for (var images = 1; images <= sizes; images++)
        {
            var i = images - 1;
            _inputs[i] = OrtValue.CreateTensorValueWithData(_device.Info, signature.InputElementType, signature.InputShape(images), _inputAddress, (long)images * signature.SlotBytes);
            _results[i] = OrtValue.CreateTensorValueWithData(_device.Info, TensorElementType.Float, signature.OutputShape(images), _outputAddress, (long)images * signature.OutputImageLength * sizeof(float));
            _bindings[i] = session.CreateIoBinding();
            _bindings[i].BindInput(signature.InputName, _inputs[i]);
            _bindings[i].BindOutput(signature.OutputName, _results[i]);
            _runOptions[i] = new RunOptions();
            _runOptions[i].AddRunConfigEntry("gpu_graph_id", images.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        _stream = CudaRuntime.CreateStream(deviceId);
    }

    public BatchOutput Run(BatchTensor batch, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, batch.Capacity);
        var run = _signature.StaticBatchSize ?? count;
        CudaRuntime.Copy(_deviceId, _inputAddress, batch.Pointer, (long)run * _signature.SlotBytes, CudaRuntime.CopyKind.HostToDevice, _stream);
        _session.RunWithBinding(_runOptions[run - 1], _bindings[run - 1]);
        var output = _outputs.Rent();
        try
        {
            CudaRuntime.Copy(_deviceId, output.Pointer, _outputAddress, (long)run * _signature.OutputImageLength * sizeof(float), CudaRuntime.CopyKind.DeviceToHost, _stream);
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
        CudaRuntime.DestroyStream(_stream);
        foreach (var binding in _bindings)
        {
            binding.Dispose();
        }

        foreach (var value in _inputs.Concat(_results))
        {
            value.Dispose();
        }

        foreach (var options in _runOptions)
        {
            options.Dispose();
        }

        _input.Dispose();
        _output.Dispose();
        _device.Dispose();
        _session.Dispose();
    }
}
