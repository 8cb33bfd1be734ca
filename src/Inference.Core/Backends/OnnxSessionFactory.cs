using System.Globalization;
using Inference.Core.Model;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Core.Backends;

/// <summary>The ONNX model a session is opened on: a file, or bytes (a model with the uint8 input stage merged in).</summary>
public sealed record OnnxModelSource(string Description, string? Path, byte[]? Bytes)
{
    public static OnnxModelSource File(string path) => new(path, path, null);

    public static OnnxModelSource Memory(byte[] bytes, string description) => new(description, null, bytes);

    internal InferenceSession Open(SessionOptions options) =>
        Bytes is { } bytes ? new InferenceSession(bytes, options) : new InferenceSession(Path!, options);
}

/// <summary>
/// What TensorRT needs to know before it builds an engine: where engines are cached (under the model cache, by
/// the weights' hash) and the input's shape range, so one engine covers every batch size the scheduler forms.
/// </summary>
public sealed record TensorRtTarget(string EngineCacheDirectory, string InputName, long[] SlotShape, int? StaticBatchSize, int MaxBatchSize)
{
    public Dictionary<string, string> ProviderOptions(int deviceId)
    {
        Directory.CreateDirectory(EngineCacheDirectory);
        var options = new Dictionary<string, string>
        {
            ["device_id"] = deviceId.ToString(CultureInfo.InvariantCulture),
            ["trt_fp16_enable"] = "1",
            ["trt_engine_cache_enable"] = "1",
            ["trt_engine_cache_path"] = EngineCacheDirectory,
            ["trt_timing_cache_enable"] = "1",
            ["trt_timing_cache_path"] = EngineCacheDirectory,
        };
        if (StaticBatchSize is null)
        {
            options["trt_profile_min_shapes"] = Shape(1);
            options["trt_profile_opt_shapes"] = Shape(MaxBatchSize);
            options["trt_profile_max_shapes"] = Shape(MaxBatchSize);
        }

        return options;
    }

    private string Shape(int batch) => $"{InputName}:{string.Join('x', SlotShape.Prepend(batch).Select(d => d.ToString(CultureInfo.InvariantCulture)))}";
}

/// <summary>
/// Creates ORT sessions with the configured provider. The preference is a chain tried in order, each fallback
/// logged once with its reason: tensorrt → cuda → cpu, auto → cuda → cpu; <c>cuda</c> alone fails when CUDA does
/// not load, so a GPU host without a working CUDA provider stops at start-up instead of serving slowly on CPU.
/// </summary>
public static partial class OnnxSessionFactory
{
    public const string CudaProvider = "CUDAExecutionProvider";
    public const string TensorRtProvider = "TensorrtExecutionProvider";
    public const string CpuProvider = "CPUExecutionProvider";

    /// <summary>Whether the model runs on a GPU (CUDA, or TensorRT with CUDA beside it).</summary>
    public static bool RunsOnGpu(string provider) => provider is CudaProvider or TensorRtProvider;

    /// <summary>The preference that opens further sessions on exactly the provider the first one got, without new warnings.</summary>
    public static ExecutionProviderPreference PreferenceFor(string provider) => provider switch
    {
        TensorRtProvider => ExecutionProviderPreference.TensorRT,
        CudaProvider => ExecutionProviderPreference.Cuda,
        _ => ExecutionProviderPreference.Cpu,
    };

    /// <summary>Opens one session on <paramref name="modelPath"/>; the provider it really got comes back with it.</summary>
    /// <exception cref="ModelLoadException">The file is not a loadable ONNX model, or CUDA was required and did not load.</exception>
    public static (InferenceSession Session, string Provider) Create(string modelPath, BackendOptions options, ILogger logger) =>
        Create(OnnxModelSource.File(modelPath), options, null, logger);

    /// <param name="tensorRt">Engine cache and shape range; TensorRT is not tried without it.</param>
    public static (InferenceSession Session, string Provider) Create(OnnxModelSource model, BackendOptions options, TensorRtTarget? tensorRt, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.GraphOptimization switch
            {
                GraphOptimization.Disabled => GraphOptimizationLevel.ORT_DISABLE_ALL,
                GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            InterOpNumThreads = options.InterOpThreads,
        };
        foreach (var (key, value) in SpinningEntries(options.Spinning))
        {
            sessionOptions.AddSessionConfigEntry(key, value);
        }

        var provider = ConfigureProvider(sessionOptions, options, tensorRt, logger);
        sessionOptions.IntraOpNumThreads = options.IntraOpThreadsFor(RunsOnGpu(provider));
        try
        {
            return (model.Open(sessionOptions), provider);
        }
        catch (OnnxRuntimeException ex)
        {
            var graphs = options.CudaGraphs && provider == CudaProvider
                ? " (Inference:CudaGraphs is on: ORT captures a graph only when every node of the model runs on the CUDA provider)"
                : string.Empty;
            throw new ModelLoadException($"'{model.Description}' could not be loaded as an ONNX model{graphs}: {ex.Message}", ex);
        }
    }

    /// <summary>ORT's session entries for a <see cref="Spinning"/> mode.</summary>
    public static IReadOnlyList<(string Key, string Value)> SpinningEntries(Spinning spinning)
    {
        var spin = spinning == Spinning.Off ? "0" : "1";
        return
        [
            ("session.intra_op.allow_spinning", spin),
            ("session.inter_op.allow_spinning", spin),

            // Stops the spinning the moment the last concurrent Run returns; the next Run starts it again.
            ("session.force_spinning_stop", spinning == Spinning.DuringRuns ? "1" : "0"),
        ];
    }

    private static string ConfigureProvider(SessionOptions sessionOptions, BackendOptions options, TensorRtTarget? tensorRt, ILogger logger)
    {
        var preference = options.ExecutionProvider;
        if (preference == ExecutionProviderPreference.TensorRT)
        {
            string? reason = "no engine cache or input shape was given";
            if (tensorRt is not null && TryAppend(() => AppendTensorRt(sessionOptions, options, tensorRt), out reason))
            {
                // Nodes TensorRT does not take run on CUDA, not on CPU: ORT places them by registration order.
                TryAppend(() => AppendCuda(sessionOptions, options), out _);
                return TensorRtProvider;
            }

            LogFallback(logger, "TensorRT", "CUDA", reason!);
            preference = ExecutionProviderPreference.Auto;
        }

        if (preference == ExecutionProviderPreference.Cpu)
        {
            return CpuProvider;
        }

        if (TryAppend(() => AppendCuda(sessionOptions, options), out var cudaReason))
        {
            return CudaProvider;
        }

        if (preference == ExecutionProviderPreference.Cuda)
        {
            throw new ModelLoadException($"Inference:ExecutionProvider is 'cuda', but the CUDA execution provider could not be loaded: {cudaReason}");
        }

        // The same SessionOptions still make a working CPU session after a provider failed to load.
        LogFallback(logger, "CUDA", "CPU", cudaReason!);
        return CpuProvider;
    }

    private static bool TryAppend(Action append, out string? reason)
    {
        try
        {
            append();
            reason = null;
            return true;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            // The CPU package has no GPU entry points; the GPU package without CUDA or TensorRT libraries fails to load them.
            reason = ex.Message;
            return false;
        }
    }

    private static void AppendCuda(SessionOptions sessionOptions, BackendOptions options)
    {
        using var cuda = new OrtCUDAProviderOptions();
        var settings = new Dictionary<string, string>
        {
            ["device_id"] = options.DeviceId.ToString(CultureInfo.InvariantCulture),

            // EXHAUSTIVE benchmarks every conv at first use of each shape: seconds per batch size at warm-up.
            ["cudnn_conv_algo_search"] = "HEURISTIC",
        };
        if (options.CudaMemoryLimitBytes is { } limit)
        {
            settings["gpu_mem_limit"] = limit.ToString(CultureInfo.InvariantCulture);
        }

        if (options.CudaGraphs)
        {
            settings["enable_cuda_graph"] = "1";
        }

        cuda.UpdateOptions(settings);
        sessionOptions.AppendExecutionProvider_CUDA(cuda);
    }

    private static void AppendTensorRt(SessionOptions sessionOptions, BackendOptions options, TensorRtTarget target)
    {
        using var tensorRt = new OrtTensorRTProviderOptions();
        tensorRt.UpdateOptions(target.ProviderOptions(options.DeviceId));
        sessionOptions.AppendExecutionProvider_Tensorrt(tensorRt);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Provider} execution provider unavailable, falling back to {Fallback}: {Reason}")]
    private static partial void LogFallback(ILogger logger, string provider, string fallback, string reason);
}
