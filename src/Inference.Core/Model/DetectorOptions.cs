namespace Inference.Core.Model;

public enum ExecutionProviderPreference
{
    /// <summary>CUDA when it loads, else CPU with one warning.</summary>
    Auto,

    /// <summary>CUDA or fail at start-up.</summary>
    Cuda,

    Cpu,
}

public enum GraphOptimization
{
    Disabled,
    Basic,
    Extended,
    All,
}

/// <summary>ONNX Runtime session settings (configuration section <c>Inference</c>).</summary>
public sealed record DetectorOptions
{
    public ExecutionProviderPreference ExecutionProvider { get; init; } = ExecutionProviderPreference.Auto;

    public int DeviceId { get; init; }

    /// <summary>CUDA arena ceiling in bytes (<c>gpu_mem_limit</c>); no limit when null.</summary>
    public long? CudaMemoryLimitBytes { get; init; }

    public GraphOptimization GraphOptimization { get; init; } = GraphOptimization.All;

    /// <summary>Threads inside one operator; 0 lets ONNX Runtime use one per physical core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads across independent operators; 0 is ONNX Runtime's default.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>
    /// Let idle intra-op threads spin. Off by default: in a service the same cores decode images and serve HTTP,
    /// and spinning threads take their time.
    /// </summary>
    public bool AllowSpinning { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (DeviceId < 0)
        {
            problems.Add($"Inference:DeviceId must not be negative (got {DeviceId}).");
        }

        if (CudaMemoryLimitBytes is <= 0)
        {
            problems.Add($"Inference:CudaMemoryLimitBytes must be positive when set (got {CudaMemoryLimitBytes}).");
        }

        if (IntraOpThreads < 0 || InterOpThreads < 0)
        {
            problems.Add("Inference:IntraOpThreads and Inference:InterOpThreads must not be negative.");
        }

        return problems;
    }
}
