using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Inference.Core.Backends;

/// <summary>
/// The tensors a detector is run with, checked against its manifest: the image input (three channels, the
/// manifest's size, a static or dynamic batch) and the output decoded per image. The input is the model's own
/// float32 NCHW, or uint8 NHWC when the service put its uint8 input stage in front (<see cref="Layout"/>). Output
/// dimensions can be symbolic in the graph, so one real run at the smallest batch gives the truth.
/// </summary>
public sealed record ModelSignature(string InputName, int Channels, int Height, int Width, int? StaticBatchSize, string OutputName, long OutputRows, long OutputColumns)
{
    public SlotLayout Layout { get; init; } = SlotLayout.Float32Nchw;

    /// <summary>Elements in one image slot.</summary>
    public int SlotLength => Channels * Height * Width;

    public int SlotBytes => LetterboxTensorizer.SlotBytes(Width, Height, Layout);

    public int OutputImageLength => checked((int)(OutputRows * OutputColumns));

    /// <summary>Per-image output shape, e.g. [1, 3549, 85] as the layout resolver reads it.</summary>
    public IReadOnlyList<long> ProbedOutputShape => [StaticBatchSize ?? 1, OutputRows, OutputColumns];

    public TensorElementType InputElementType => Layout == SlotLayout.UInt8Nhwc ? TensorElementType.UInt8 : TensorElementType.Float;

    /// <summary>One image's input dimensions, without the batch.</summary>
    public long[] SlotShape => Layout == SlotLayout.UInt8Nhwc ? [Height, Width, Channels] : [Channels, Height, Width];

    public long[] OutputImageShape => [OutputRows, OutputColumns];

    public long[] InputShape(int batch) => [batch, .. SlotShape];

    public long[] OutputShape(int batch) => [batch, OutputRows, OutputColumns];

    /// <summary>
    /// Reads the signature, settling the input size the manifest may leave out from the model itself (its fixed
    /// input shape, else its <c>imgsz</c> metadata); <paramref name="sizeDefaulted"/> says which values came from where.
    /// </summary>
    /// <exception cref="ModelLoadException">The model does not fit the manifest; the message says how.</exception>
    public static ModelSignature Read(InferenceSession session, ModelManifest manifest, OnnxModelMetadata metadata, out IReadOnlyList<DefaultedValue> sizeDefaulted)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(metadata);
        var inputName = manifest.Input.Tensor ?? session.InputNames[0];
        var outputName = manifest.Output ?? session.OutputNames[0];
        if (!session.OutputMetadata.ContainsKey(outputName))
        {
            throw new ModelLoadException($"The model has no output named '{outputName}'; its outputs are {string.Join(", ", session.OutputNames)}.");
        }

        var (dims, layout) = ReadInputDimensions(session, inputName);
        var (width, height, defaulted) = InputConventions.ResolveSize(manifest.Input, inputName, dims, metadata);
        metadata.Check(width, height);
        var staticBatch = CheckInputShape(dims, width, height, inputName);
        sizeDefaulted = defaulted;
        var probe = new ModelSignature(inputName, 3, height, width, staticBatch, outputName, 0, 0) { Layout = layout };
        var (rows, columns) = ProbeOutput(session, probe);
        return probe with { OutputRows = rows, OutputColumns = columns };
    }

    /// <summary>
    /// The image input's dimensions as the graph declares them (dynamic ones ≤ 0), in NCHW order whatever the
    /// layout, refusing anything but float32 NCHW, or uint8 NHWC behind the service's own input stage.
    /// </summary>
    private static (long[] Dims, SlotLayout Layout) ReadInputDimensions(InferenceSession session, string inputName)
    {
        if (!session.InputMetadata.TryGetValue(inputName, out var metadata))
        {
            throw new ModelLoadException($"The model has no input named '{inputName}'; its inputs are {string.Join(", ", session.InputNames)}.");
        }

        var dims = metadata.Dimensions.Select(d => (long)d).ToArray();
        var staged = session.ModelMetadata.CustomMetadataMap.TryGetValue(Uint8InputStage.MetadataKey, out var stage) && stage == Uint8InputStage.MetadataValue;
        if (staged && metadata.ElementDataType == TensorElementType.UInt8 && dims.Length == 4)
        {
            return ([dims[0], dims[3], dims[1], dims[2]], SlotLayout.UInt8Nhwc);
        }

        if (metadata.ElementDataType != TensorElementType.Float || dims.Length != 4)
        {
            throw new ModelLoadException($"Input '{inputName}' is {metadata.ElementDataType} {OutputLayout.Describe(dims)}; a float32 [batch, 3, height, width] image input is needed (Model:Upload=uint8 puts the service's own uint8 stage in front of such a model).");
        }

        return (dims, SlotLayout.Float32Nchw);
    }

    private static int? CheckInputShape(long[] dims, int width, int height, string inputName)
    {
        var shape = OutputLayout.Describe(dims);
        if (dims[1] > 0 && dims[1] != 3)
        {
            throw new ModelLoadException($"Input '{inputName}' has {dims[1]} channels; RGB images need 3.");
        }

        if ((dims[2] > 0 && dims[2] != height) || (dims[3] > 0 && dims[3] != width))
        {
            throw new ModelLoadException(
                $"The manifest says the input is {width}×{height}, but input '{inputName}' is fixed at {dims[3]}×{dims[2]} ({shape}).");
        }

        return dims[0] > 0 ? (int)dims[0] : null;
    }

    private static (long Rows, long Columns) ProbeOutput(InferenceSession session, ModelSignature signature)
    {
        var batch = signature.StaticBatchSize ?? 1;
        using var inputValue = signature.Layout == SlotLayout.UInt8Nhwc
            ? OrtValue.CreateTensorValueFromMemory(new byte[batch * signature.SlotLength], signature.InputShape(batch))
            : OrtValue.CreateTensorValueFromMemory(new float[batch * signature.SlotLength], signature.InputShape(batch));
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, [signature.InputName], [inputValue], [signature.OutputName]);
            var shape = results[0].GetTensorTypeAndShape().Shape;
            var described = OutputLayout.Describe(shape);
            if (shape.Length != 3)
            {
                throw new ModelLoadException($"Output '{signature.OutputName}' has shape {described}; a detector output must be [batch, rows, columns].");
            }

            if (shape[0] != batch)
            {
                throw new ModelLoadException($"Output '{signature.OutputName}' has batch {shape[0]} for an input batch of {batch}.");
            }

            return (shape[1], shape[2]);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"A test run of the model at {signature.Width}×{signature.Height} failed: {ex.Message}", ex);
        }
    }
}
