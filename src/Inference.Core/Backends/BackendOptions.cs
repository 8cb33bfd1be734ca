using System.ComponentModel.DataAnnotations;
using Inference.Core.Hosting;

namespace Inference.Core.Backends;

public enum ExecutionProviderPreference
{
    /// <summary>CUDA when it loads, else CPU with one warning.</summary>
    Auto,

    /// <summary>CUDA or fail at start-up.</summary>
    Cuda,

    Cpu,

    /// <summary>
    /// TensorRT (FP16, engines cached under the model cache) with CUDA for what TensorRT does not take; when TensorRT
    /// does not load, CUDA, and when CUDA does not, CPU, with one warning each.
    /// </summary>
    TensorRT,
}

/// <summary>When ONNX Runtime's intra- and inter-op threads may busy-wait for work instead of sleeping.</summary>
public enum Spinning
{
    /// <summary>Threads sleep whenever they run out of work, also between the operators of one run.</summary>
    Off,

    /// <summary>
    /// Threads spin while a run is in flight, so no operator waits for a thread to wake, and stop the moment the last
    /// run returns (ORT's <c>session.force_spinning_stop</c>), so decoding and HTTP get the cores between runs.
    /// </summary>
    DuringRuns,

    /// <summary>ORT's own default: threads also spin for a while after a run, taking cores from everything else.</summary>
    Always,
}

public enum GraphOptimization
{
    Disabled,
    Basic,
    Extended,
    All,
}

/// <summary>ONNX Runtime session settings (configuration section <c>Inference</c>), shared by every served model.</summary>
public sealed record BackendOptions : IValidatableObject
{
    public const string Section = "Inference";

    /// <summary>Instances per model on CUDA (and TensorRT): two overlap one batch's copies with another's compute (Triton's default).</summary>
    public const int DefaultCudaInstances = 2;

    /// <summary>The most instances a CPU model gets by default, however many cores: each session costs its own arena.</summary>
    public const int MaxDefaultCpuInstances = 4;

    /// <summary>
    /// Instances per model on CPU: one per core up to <see cref="MaxDefaultCpuInstances"/>, the cores split between
    /// them (<see cref="IntraOpThreadsFor"/>). Chosen by measurement (README, "Instances and threads on CPU"): under
    /// load, single-thread sessions side by side never wait for each other's threads, and kept their throughput on a
    /// noisy host where one session on every core lost half of it; a lone request gets the
    /// <see cref="LoneInstance"/>.
    /// </summary>
    public static int DefaultCpuInstances => Math.Clamp(Environment.ProcessorCount, 1, MaxDefaultCpuInstances);

    public ExecutionProviderPreference ExecutionProvider { get; init; } = ExecutionProviderPreference.Auto;

    [SettingRange("Inference:DeviceId", 0, 64)]
    public int DeviceId { get; init; }

    /// <summary>Backend instances (sessions, each with its own runner) per model; by provider when absent.</summary>
    [SettingRange("Inference:Instances", 1, 64)]
    public int? Instances { get; init; }

    /// <summary>CUDA arena ceiling in bytes (<c>gpu_mem_limit</c>); no limit when null.</summary>
    [SettingRange("Inference:CudaMemoryLimitBytes", 1, long.MaxValue)]
    public long? CudaMemoryLimitBytes { get; init; }

    public GraphOptimization GraphOptimization { get; init; } = GraphOptimization.All;

    /// <summary>
    /// ORT's CUDA graph capture: every batch size the scheduler forms is captured once at warm-up and then replayed
    /// with one launch. Needs every node of the model on the CUDA provider; ignored, with a warning, when the model
    /// ends up on CPU.
    /// </summary>
    public bool CudaGraphs { get; init; }

    /// <summary>Threads inside one operator per instance; 0 lets ONNX Runtime pick (one per physical core); by provider when absent.</summary>
    [SettingRange("Inference:IntraOpThreads", 0, 256)]
    public int? IntraOpThreads { get; init; }

    /// <summary>Threads across independent operators; 0 is ONNX Runtime's default.</summary>
    [SettingRange("Inference:InterOpThreads", 0, 256)]
    public int InterOpThreads { get; init; }

    /// <summary>
    /// Whether ORT's threads busy-wait for work. <see cref="Spinning.DuringRuns"/> by default (README, "Instances and
    /// threads on CPU"): a run's operators do not wait for sleeping threads, and between runs the same cores decode
    /// images and serve HTTP.
    /// </summary>
    public Spinning Spinning { get; init; } = Spinning.DuringRuns;

    /// <summary>
    /// On CPU with several instances: one more session on every core, which runs a batch only when it holds every
    /// image the model has admitted and no other instance is running, so a lone request gets all the cores for its
    /// run; while it runs, nothing else starts. Null: on wherever it applies. Never used on a GPU, where instances
    /// do not split cores.
    /// </summary>
    public bool? LoneInstance { get; init; }

    /// <summary>Whether a model with <paramref name="instances"/> instances on <paramref name="provider"/> gets the lone instance.</summary>
    public bool LoneInstanceFor(string provider, int instances) =>
        (LoneInstance ?? true) && instances > 1 && !OnnxSessionFactory.RunsOnGpu(provider);

    /// <summary>Instances for the provider that was actually loaded.</summary>
    public int InstancesFor(string provider) =>
        Instances ?? (OnnxSessionFactory.RunsOnGpu(provider) ? DefaultCudaInstances : DefaultCpuInstances);

    /// <summary>
    /// Without a setting: one CPU instance gets ORT's default (one thread per physical core); several split the cores
    /// between them (at least one each), so instances never oversubscribe the machine; on a GPU, ORT's default (the
    /// CPU side only runs the nodes the GPU does not take).
    /// </summary>
    public int IntraOpThreadsFor(bool gpu)
    {
        var instances = Instances ?? DefaultCpuInstances;
        return IntraOpThreads ?? (gpu || instances == 1 ? 0 : Math.Max(1, Environment.ProcessorCount / instances));
    }

    /// <summary>The lone instance's settings: one instance on every core, whatever the group's thread setting.</summary>
    public BackendOptions ForLoneInstance() => this with { Instances = 1, IntraOpThreads = null };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CudaGraphs && ExecutionProvider == ExecutionProviderPreference.Cpu)
        {
            yield return new ValidationResult("Inference:CudaGraphs needs the CUDA provider, but Inference:ExecutionProvider is 'cpu'; turn one of them off.");
        }

        if (CudaGraphs && ExecutionProvider == ExecutionProviderPreference.TensorRT)
        {
            yield return new ValidationResult("Inference:CudaGraphs applies to the CUDA provider only; with Inference:ExecutionProvider 'tensorrt' leave it off (TensorRT plans its own kernels).");
        }
    }
}
