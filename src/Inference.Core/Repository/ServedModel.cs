using Inference.Core.Backends;
using Inference.Core.Contracts;
using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Core.Scheduling;
using Inference.Core.Sources;

namespace Inference.Core.Repository;

/// <summary>
/// A loaded, verified and warmed model: its manifest facts, its backend instances behind one scheduler, and the
/// postprocessing its manifest chose. Front ends never touch its buffers: <see cref="Serving.DetectionService"/> does.
/// </summary>
public sealed class ServedModel : IAsyncDisposable
{
    private readonly IReadOnlyList<IModelInstance> _instances;
    private readonly IReadOnlyList<IDisposable> _resources;

    internal ServedModel(
        string id,
        ModelManifest manifest,
        InputSpec input,
        IReadOnlyList<DefaultedValue> defaulted,
        string sha256,
        string provider,
        ModelSignature signature,
        DetectionPostprocessor postprocessor,
        IReadOnlyList<IModelInstance> instances,
        BatchScheduler<BatchTensor, BatchOutput> scheduler,
        IReadOnlyList<int> warmedBatchSizes,
        FetchedFile? download,
        InputUpload upload,
        IReadOnlyList<IDisposable> resources)
    {
        Id = id;
        Manifest = manifest;
        Input = input;
        Defaulted = defaulted;
        Sha256 = sha256;
        Provider = provider;
        Signature = signature;
        Postprocessor = postprocessor;
        _instances = instances;
        Scheduler = scheduler;
        WarmedBatchSizes = warmedBatchSizes;
        Download = download;
        Upload = upload;
        _resources = resources;
        Summary = new ModelSummary(manifest.Name, manifest.Version, sha256);
        DefaultOptions = DetectionOptions.FromDefaults(manifest.Postprocess);
    }

    public string Id { get; }

    public ModelManifest Manifest { get; }

    /// <summary>SHA-256 of the weights that were loaded.</summary>
    public string Sha256 { get; }

    /// <summary><see cref="OnnxSessionFactory.CudaProvider"/>, <see cref="OnnxSessionFactory.TensorRtProvider"/> or <see cref="OnnxSessionFactory.CpuProvider"/>.</summary>
    public string Provider { get; }

    public ModelSignature Signature { get; }

    /// <summary>How images travel to the model: its own float32 input, or uint8 through the merged input stage.</summary>
    public InputUpload Upload { get; }

    /// <summary>The input as it runs: the manifest's values, and the model's or its format's for what the manifest left out.</summary>
    public InputSpec Input { get; }

    /// <summary>What the manifest left out and what decided each value; logged at load and shown by <c>/v1/models</c>.</summary>
    public IReadOnlyList<DefaultedValue> Defaulted { get; }

    public DetectionPostprocessor Postprocessor { get; }

    public OutputFormat Format => Postprocessor.Decoder.Format;

    public IReadOnlyList<string> ClassNames => Postprocessor.ClassNames;

    public BatchScheduler<BatchTensor, BatchOutput> Scheduler { get; }

    /// <summary>The instance group that shares the load (the lone instance, if any, not counted).</summary>
    public int Instances => Scheduler.Instances;

    /// <summary>Whether a lone request runs on an instance of its own that has every core (<see cref="BackendOptions.LoneInstance"/>).</summary>
    public bool LoneInstance => Scheduler.HasLoneInstance;

    /// <summary>Whether the batch buffers are the CUDA provider's pinned host memory (one DMA per copy), not pageable memory.</summary>
    public bool PinnedBuffers => _resources.OfType<HostMemory>().Any(m => m.IsCudaPinned);

    public IReadOnlyList<int> WarmedBatchSizes { get; }

    /// <summary>The weights download, when this start fetched them (null for local files and cache hits alike).</summary>
    public FetchedFile? Download { get; }

    public ModelSummary Summary { get; }

    /// <summary>The request defaults the manifest declares.</summary>
    public DetectionOptions DefaultOptions { get; }

    /// <summary>From the start of the load to ready.</summary>
    public TimeSpan StartupTime { get; internal set; }

    /// <summary>While idle: keeps one batch buffer of each kind and frees the rest a burst left behind.</summary>
    public void TrimBuffers()
    {
        foreach (var pool in _resources.OfType<ImageBufferPool>())
        {
            pool.Trim(keep: 1);
        }
    }

    /// <summary>
    /// Serves what was admitted, then frees the sessions and the batch buffers (an output a request is still
    /// postprocessing is freed when the request lets it go).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await Scheduler.DisposeAsync().ConfigureAwait(false);
        foreach (var instance in _instances)
        {
            instance.Dispose();
        }

        foreach (var resource in _resources)
        {
            resource.Dispose();
        }
    }
}
