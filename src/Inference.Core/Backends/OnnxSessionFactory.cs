using Inference.Core.Model;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Core.Backends;

/// <summary>Creates ORT sessions with the configured provider: CUDA when asked or available, else CPU.</summary>
public static partial class OnnxSessionFactory
{
    public const string CudaProvider = "CUDAExecutionProvider";
    public const string CpuProvider = "CPUExecutionProvider";

    /// <summary>Opens one session on <paramref name="modelPath"/>; the provider it really got comes back with it.</summary>
    /// <exception cref="ModelLoadException">The file is not a loadable ONNX model, or CUDA was required and did not load.</exception>
    public static (InferenceSession Session, string Provider) Create(string modelPath, BackendOptions options, ILogger logger)
    {
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
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        sessionOptions.AddSessionConfigEntry("session.inter_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        var provider = ConfigureProvider(sessionOptions, options, logger);
        sessionOptions.IntraOpNumThreads = options.IntraOpThreadsFor(provider == CudaProvider);
        try
        {
            return (new InferenceSession(modelPath, sessionOptions), provider);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"'{modelPath}' could not be loaded as an ONNX model: {ex.Message}", ex);
        }
    }

    private static string ConfigureProvider(SessionOptions sessionOptions, BackendOptions options, ILogger logger)
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
}
