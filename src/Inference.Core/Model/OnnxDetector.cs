using System.Buffers;
using System.Diagnostics;
using Inference.Core.Imaging;
using Inference.Core.Postprocessing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Inference.Core.Model;

/// <summary>
/// One ONNX Runtime session for a detector, checked against its manifest at load. <see cref="Run(BatchTensor)"/> is
/// thread-safe and takes no lock: ORT sessions allow concurrent runs, and serialising them is the scheduler's
/// job, not the backend's.
/// </summary>
public sealed partial class OnnxDetector : IDisposable
{
    public const string CudaProvider = "CUDAExecutionProvider";
    public const string CpuProvider = "CPUExecutionProvider";

    // Batch tensors are tens of MB; a dedicated pool keeps them reusable without bloating the shared one.
    private readonly ArrayPool<float> _pool = ArrayPool<float>.Create(maxArrayLength: 1 << 28, maxArraysPerBucket: 16);
    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _outputShape;
    private readonly ILogger _logger;
    private readonly SortedSet<int> _warmed = [];

    private OnnxDetector(
        InferenceSession session,
        SessionOptions sessionOptions,
        ModelManifest manifest,
        string modelPath,
        string sha256,
        string activeProvider,
        ILogger logger)
    {
        _session = session;
        _sessionOptions = sessionOptions;
        _logger = logger;
        Manifest = manifest;
        ModelPath = modelPath;
        Sha256 = sha256;
        ActiveProvider = activeProvider;

        Metadata = OnnxModelMetadata.Read(session.ModelMetadata.CustomMetadataMap);
        var inputName = manifest.Input.Tensor ?? session.InputNames[0];
        var outputName = manifest.Output ?? session.OutputNames[0];
        _inputNames = [inputName];
        _outputNames = [outputName];
        var inputDimensions = ReadInputDimensions(session, inputName);
        var (width, height, sizeDefaults) = InputConventions.ResolveSize(manifest.Input, inputName, inputDimensions, Metadata);
        Metadata.Check(width, height);
        StaticBatchSize = CheckInputShape(inputDimensions, width, height, inputName);
        SlotLength = LetterboxTensorizer.SlotLength(width, height);

        // Output dims can be symbolic in the graph; one real run at batch 1 gives the truth.
        var probeShape = ProbeOutputShape(outputName, width, height);
        var sized = manifest with { Input = manifest.Input with { Width = width, Height = height } };
        var (decoder, classNames) = OutputLayout.Resolve(sized, outputName, probeShape, Metadata.Names);
        _outputShape = probeShape;
        OutputImageLength = decoder.OutputLength;
        if (OutputImageLength != (int)(probeShape[1] * probeShape[2]))
        {
            throw new ModelLoadException($"Output '{outputName}' holds {probeShape[1] * probeShape[2]} values per image; the {OutputLayout.Name(decoder.Format)} decoder expects {OutputImageLength}.");
        }

        var (input, conventionDefaults) = InputConventions.Resolve(sized.Input, decoder.Format);
        Input = input with { Tensor = inputName };
        Defaulted = [.. sizeDefaults, .. LayoutDefaults(manifest, decoder.Format, classNames, OutputLayout.Describe(probeShape), outputName), .. conventionDefaults];
        Postprocessor = new DetectionPostprocessor(decoder, classNames);
    }

    public ModelManifest Manifest { get; }

    public string ModelPath { get; }

    /// <summary>SHA-256 of the weights that were loaded.</summary>
    public string Sha256 { get; }

    /// <summary><see cref="CudaProvider"/> or <see cref="CpuProvider"/>.</summary>
    public string ActiveProvider { get; }

    /// <summary>The model's fixed batch size, or null when the batch dimension is dynamic.</summary>
    public int? StaticBatchSize { get; }

    public bool HasDynamicBatch => StaticBatchSize is null;

    public int SlotLength { get; }

    public int OutputImageLength { get; }

    /// <summary>The input as it runs: the manifest's values, and the model's or its format's for what the manifest left out.</summary>
    public InputSpec Input { get; }

    /// <summary>What the manifest left out and what decided each value; logged at load and shown by <c>/v1/model</c>.</summary>
    public IReadOnlyList<DefaultedValue> Defaulted { get; }

    /// <summary>The ONNX file's own metadata (Ultralytics' names, imgsz, stride, task, when present).</summary>
    public OnnxModelMetadata Metadata { get; }

    public OutputFormat Format => Postprocessor.Decoder.Format;

    public IReadOnlyList<string> ClassNames => Postprocessor.ClassNames;

    public DetectionPostprocessor Postprocessor { get; }

    public string InputName => _inputNames[0];

    public string OutputName => _outputNames[0];

    /// <summary>Batch sizes already run once, so their first real request pays no allocation or kernel selection.</summary>
    public IReadOnlyCollection<int> WarmedBatchSizes
    {
        get
        {
            lock (_warmed)
            {
                return [.. _warmed];
            }
        }
    }

    /// <param name="verifiedSha256">The weights' hash when the caller has just verified it (a cache fetch), to skip hashing them again.</param>
    public static OnnxDetector Load(string modelPath, ModelManifest manifest, DetectorOptions? options = null, ILogger? logger = null, string? verifiedSha256 = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        options ??= new DetectorOptions();
        logger ??= NullLogger.Instance;
        if (options.Validate() is { Count: > 0 } problems)
        {
            throw new ModelLoadException(string.Join(" ", problems));
        }

        if (!File.Exists(modelPath))
        {
            throw new ModelLoadException($"The model file '{modelPath}' does not exist.");
        }

        var sha256 = verifiedSha256?.ToLowerInvariant() ?? Model.Sha256.OfFile(modelPath);
        if (manifest.Sha256 is { } expected && !string.Equals(expected, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelLoadException($"Checksum mismatch: '{modelPath}' has SHA-256 {sha256}, but the manifest pins {expected.ToLowerInvariant()}.");
        }

        var sessionOptions = CreateSessionOptions(options);
        InferenceSession? session = null;
        try
        {
            var provider = ConfigureProvider(sessionOptions, options, logger);
            session = CreateSession(modelPath, sessionOptions);
            var detector = new OnnxDetector(session, sessionOptions, manifest, Path.GetFullPath(modelPath), sha256, provider, logger);
            LogLoaded(logger, manifest.Name, manifest.Version, provider, detector.StaticBatchSize);
            foreach (var value in detector.Defaulted)
            {
                LogDefaulted(logger, value.Field, value.Value, value.From);
            }

            if (detector.Metadata.ImageSize is { } exported && manifest.Input.Width is not null &&
                (exported.Width, exported.Height) != (detector.Input.Width, detector.Input.Height))
            {
                LogImageSizeDiffers(logger, detector.Input.Width, detector.Input.Height, exported.Width, exported.Height);
            }
            session = null;
            return detector;
        }
        catch
        {
            session?.Dispose();
            sessionOptions.Dispose();
            throw;
        }
    }

    /// <summary>A pooled tensor with room for <paramref name="batchSize"/> images; fill each slot, then <see cref="Run(BatchTensor)"/>.</summary>
    public BatchTensor RentBatch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return new BatchTensor(_pool, batchSize, SlotLength);
    }

    /// <summary>
    /// Runs the model over every slot of <paramref name="batch"/>. A model with a static batch dimension still
    /// serves any batch size, as successive runs of its fixed size.
    /// </summary>
    public DetectorOutput Run(BatchTensor batch) => Run(batch, batch?.BatchSize ?? 0);

    /// <summary>Runs the first <paramref name="imageCount"/> slots of <paramref name="batch"/>.</summary>
    public DetectorOutput Run(BatchTensor batch, int imageCount)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.SlotLength != SlotLength)
        {
            throw new ArgumentException("The batch was not rented from this detector.", nameof(batch));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(imageCount, batch.BatchSize);
        var output = new DetectorOutput(_pool, imageCount, OutputImageLength);
        try
        {
            var chunk = StaticBatchSize ?? imageCount;
            for (var start = 0; start < imageCount; start += chunk)
            {
                var count = Math.Min(chunk, imageCount - start);
                if (count == chunk)
                {
                    RunChunk(batch.Images(start, count), output.Images(start, count), count);
                }
                else
                {
                    RunPaddedChunk(batch, output, start, count, chunk);
                }
            }

            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Runs every given batch size once (a static-batch model needs only its own size).</summary>
    public void Warmup(IEnumerable<int> batchSizes)
    {
        ArgumentNullException.ThrowIfNull(batchSizes);
        var sizes = StaticBatchSize is { } fixedSize ? [fixedSize] : batchSizes.Distinct().Order().ToArray();
        var pad = Input.PadValue * (Input.PixelScale == PixelScale.Unit ? 1f / 255f : 1f);
        foreach (var size in sizes)
        {
            var clock = Stopwatch.StartNew();
            using var batch = RentBatch(size);
            batch.Buffer.AsSpan(0, size * SlotLength).Fill(pad);
            using var _ = Run(batch);
            lock (_warmed)
            {
                _warmed.Add(size);
            }

            LogWarmedUp(_logger, size, clock.Elapsed.TotalMilliseconds);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _sessionOptions.Dispose();
        _runOptions.Dispose();
    }

    private void RunChunk(Memory<float> input, Memory<float> output, int count)
    {
        using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, [count, 3, Input.Height, Input.Width]);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output, [count, _outputShape[1], _outputShape[2]]);
        _session.Run(_runOptions, _inputNames, [inputValue], _outputNames, [outputValue]);
    }

    private void RunPaddedChunk(BatchTensor batch, DetectorOutput output, int start, int count, int chunk)
    {
        // Only a static batch above 1 lands here: fill the model's fixed batch, then keep the real images' rows.
        using var padded = RentBatch(chunk);
        batch.Images(start, count).Span.CopyTo(padded.Buffer);
        padded.Buffer.AsSpan(count * SlotLength, (chunk - count) * SlotLength).Clear();
        using var paddedOutput = new DetectorOutput(_pool, chunk, OutputImageLength);
        RunChunk(padded.Images(0, chunk), paddedOutput.Images(0, chunk), chunk);
        paddedOutput.Images(0, count).Span.CopyTo(output.Images(start, count).Span);
    }

    private long[] ProbeOutputShape(string outputName, int width, int height)
    {
        var batch = StaticBatchSize ?? 1;
        using var input = RentBatch(batch);
        input.Buffer.AsSpan(0, batch * SlotLength).Clear();
        using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.Images(0, batch), [batch, 3, height, width]);
        try
        {
            using var results = _session.Run(_runOptions, _inputNames, [inputValue], _outputNames);
            var shape = results[0].GetTensorTypeAndShape().Shape;
            if (shape.Length > 0 && shape[0] != batch)
            {
                throw new ModelLoadException($"Output '{outputName}' has batch {shape[0]} for an input batch of {batch}.");
            }

            return shape;
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"A test run of the model at {width}×{height} failed: {ex.Message}", ex);
        }
    }

    /// <summary>The image input's dimensions as the graph declares them (dynamic ones ≤ 0), refusing anything but float32 NCHW.</summary>
    private static long[] ReadInputDimensions(InferenceSession session, string inputName)
    {
        if (!session.InputMetadata.TryGetValue(inputName, out var metadata))
        {
            throw new ModelLoadException($"The model has no input named '{inputName}'; its inputs are {string.Join(", ", session.InputNames)}.");
        }

        var dims = metadata.Dimensions.Select(d => (long)d).ToArray();
        if (metadata.ElementDataType != TensorElementType.Float || dims.Length != 4)
        {
            throw new ModelLoadException($"Input '{inputName}' is {metadata.ElementDataType} {OutputLayout.Describe(dims)}; a float32 [batch, 3, height, width] image input is needed.");
        }

        return dims;
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

    /// <summary>The format and class names when the manifest left them to the model.</summary>
    private IEnumerable<DefaultedValue> LayoutDefaults(ModelManifest manifest, OutputFormat format, IReadOnlyList<string> classNames, string outputShape, string outputName)
    {
        if (manifest.Format is null)
        {
            yield return new DefaultedValue("format", OutputLayout.Name(format), $"the shape {outputShape} of output '{outputName}'");
        }

        if (manifest.Classes is null)
        {
            yield return Metadata.Names is not null
                ? new DefaultedValue("classes", $"{classNames.Count} names", "the ONNX metadata names")
                : new DefaultedValue("classes", $"numbers 0–{classNames.Count - 1}", $"the shape {outputShape} of output '{outputName}' (no names in the manifest or the metadata)");
        }
    }

    private static SessionOptions CreateSessionOptions(DetectorOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.GraphOptimization switch
            {
                GraphOptimization.Disabled => GraphOptimizationLevel.ORT_DISABLE_ALL,
                GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
        };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        sessionOptions.AddSessionConfigEntry("session.inter_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        return sessionOptions;
    }

    private static InferenceSession CreateSession(string modelPath, SessionOptions sessionOptions)
    {
        try
        {
            return new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"'{modelPath}' could not be loaded as an ONNX model: {ex.Message}", ex);
        }
    }

    private static string ConfigureProvider(SessionOptions sessionOptions, DetectorOptions options, ILogger logger)
    {
        if (options.ExecutionProvider == ExecutionProviderPreference.Cpu)
        {
            return CpuProvider;
        }

        try
        {
            using var cuda = new OrtCUDAProviderOptions();
            var settings = new Dictionary<string, string>
            {
                ["device_id"] = options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),

                // EXHAUSTIVE benchmarks every conv at first use of each shape: seconds per batch size at warm-up.
                ["cudnn_conv_algo_search"] = "HEURISTIC",
            };
            if (options.CudaMemoryLimitBytes is { } limit)
            {
                settings["gpu_mem_limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            cuda.UpdateOptions(settings);
            sessionOptions.AppendExecutionProvider_CUDA(cuda);
            return CudaProvider;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            // The CPU package has no CUDA entry point; the GPU package without CUDA libraries fails to load them.
            // Either way the same SessionOptions still make a working CPU session.
            if (options.ExecutionProvider == ExecutionProviderPreference.Cuda)
            {
                throw new ModelLoadException($"Inference:ExecutionProvider is 'cuda', but the CUDA execution provider could not be loaded: {ex.Message}", ex);
            }

            LogCudaFallback(logger, ex.Message);
            return CpuProvider;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "CUDA execution provider unavailable, falling back to CPU: {Reason}")]
    private static partial void LogCudaFallback(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Name} {Version} on {Provider} (static batch: {StaticBatch})")]
    private static partial void LogLoaded(ILogger logger, string name, string version, string provider, int? staticBatch);

    [LoggerMessage(Level = LogLevel.Information, Message = "The manifest leaves {Field} out: {Value}, from {From}")]
    private static partial void LogDefaulted(ILogger logger, string field, string value, string from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The manifest runs the model at {Width}×{Height}, but it was exported at {ExportedWidth}×{ExportedHeight} (ONNX metadata imgsz)")]
    private static partial void LogImageSizeDiffers(ILogger logger, int width, int height, int exportedWidth, int exportedHeight);

    [LoggerMessage(Level = LogLevel.Information, Message = "Warmed up batch size {BatchSize} in {Milliseconds:0.0} ms")]
    private static partial void LogWarmedUp(ILogger logger, int batchSize, double milliseconds);
}
