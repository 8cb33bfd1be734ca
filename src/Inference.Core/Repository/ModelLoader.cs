using System.Diagnostics;
using System.Runtime.InteropServices;
using Inference.Core.Backends;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Onnx;
using Inference.Core.Postprocessing;
using Inference.Core.Scheduling;
using Inference.Core.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Core.Repository;

/// <summary>
/// The one loader every host uses (the service, the Lambda function, the CLI's validate and predict): resolve the
/// pin, verify the weights, open one session per instance, check the model against its manifest, choose the
/// postprocessing, put the uint8 input stage in front when asked, allocate the batch buffers where the provider
/// wants them (CUDA-pinned on a GPU), warm every instance at every batch size, and put a scheduler in front.
/// </summary>
public sealed partial class ModelLoader(BackendOptions backend, BatchingOptions batching, S3Options s3, ILoggerFactory loggers, TimeProvider? time = null)
{
    private readonly ILogger _logger = loggers.CreateLogger<ModelLoader>();

    /// <param name="status">Each step as a sentence, for readiness.</param>
    /// <param name="observer">Hears about the scheduler's batches and health.</param>
    /// <exception cref="ModelLoadException">The model or its manifest is not acceptable.</exception>
    /// <exception cref="ModelSourceException">The pin could not be resolved (S3, checksum).</exception>
    public async Task<ServedModel> LoadAsync(
        string id,
        ModelOptions options,
        string contentRoot,
        IProgress<string>? status = null,
        IBatchObserver? observer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var spec = options.ToSpec(contentRoot);
        status?.Report($"Resolving the model: manifest {spec.Manifest}{(spec.Weights is { } pin ? $", weights {pin.Location}" : string.Empty)}.");
        var resolved = await ResolveAsync(spec, options, status, cancellationToken).ConfigureAwait(false);

        var model = await LoadAsync(id, resolved, options.BackendSettings, status, observer, cancellationToken).ConfigureAwait(false);
        model.StartupTime = clock.Elapsed;
        return model;
    }

    /// <summary>Loads a manifest and weights that are already local (the CLI, tests, a model resolved elsewhere).</summary>
    public async Task<ServedModel> LoadAsync(
        string id,
        ResolvedModel resolved,
        ModelBackendSettings? settings = null,
        IProgress<string>? status = null,
        IBatchObserver? observer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        var clock = Stopwatch.StartNew();
        status?.Report($"Loading and verifying {resolved.WeightsPath}.");
        var model = await Task.Run(() => Open(id, resolved, settings ?? ModelBackendSettings.Default, status, observer, cancellationToken), cancellationToken).ConfigureAwait(false);
        model.StartupTime = clock.Elapsed;
        LogReady(_logger, id, model.Manifest.Name, model.Manifest.Version, model.Provider, model.Instances, clock.Elapsed.TotalMilliseconds);
        return model;
    }

    private async Task<ResolvedModel> ResolveAsync(ModelSpec spec, ModelOptions options, IProgress<string>? status, CancellationToken cancellationToken)
    {
        using var client = spec.UsesS3 ? s3.CreateClient(sdkRetries: false) : null;
        var fetcher = client is null ? null : new S3ObjectFetcher(client, s3, loggers.CreateLogger<S3ObjectFetcher>());
        var progress = status is null ? null : new Progress(status);
        return await new ModelResolver(new ModelCache(options.CacheDirectory), fetcher).ResolveAsync(spec, progress, cancellationToken).ConfigureAwait(false);
    }

    private ServedModel Open(string id, ResolvedModel resolved, ModelBackendSettings settings, IProgress<string>? status, IBatchObserver? observer, CancellationToken cancellationToken)
    {
        var manifest = resolved.Manifest;
        var path = resolved.WeightsPath;
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"The model file '{path}' does not exist.");
        }

        var sha256 = resolved.Download?.Sha256.ToLowerInvariant() ?? Model.Sha256.OfFile(path);
        if (manifest.Sha256 is { } expected && !string.Equals(expected, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelLoadException($"Checksum mismatch: '{path}' has SHA-256 {sha256}, but the manifest pins {expected.ToLowerInvariant()}.");
        }

        var sessions = new List<InferenceSession>();
        var instances = new List<IModelInstance>();
        var resources = new List<IDisposable>();
        try
        {
            var sessionLogger = loggers.CreateLogger<OnnxInstance>();
            var source = OnnxModelSource.File(path);

            // The uint8 stage needs the model's conventions, and TensorRT its input shape, before the serving
            // sessions open: a CPU session reads them first.
            var probeOnCpu = settings.Upload == InputUpload.Uint8 || backend.ExecutionProvider == ExecutionProviderPreference.TensorRT;

            // The group's sessions split the cores by this model's own instance count.
            var group = backend with { Instances = settings.Instances ?? backend.Instances };
            var probeOptions = probeOnCpu ? group with { ExecutionProvider = ExecutionProviderPreference.Cpu, CudaGraphs = false } : group;
            var (first, provider) = OnnxSessionFactory.Create(source, probeOptions, null, sessionLogger);
            sessions.Add(first);
            var metadata = OnnxModelMetadata.Read(first.ModelMetadata.CustomMetadataMap);
            var signature = ModelSignature.Read(first, manifest, metadata, out var sizeDefaulted);
            var sized = manifest with { Input = manifest.Input with { Width = signature.Width, Height = signature.Height } };
            var (decoder, classNames) = OutputLayout.Resolve(sized, signature.OutputName, signature.ProbedOutputShape, metadata.Names);
            if (decoder.OutputLength != signature.OutputImageLength)
            {
                throw new ModelLoadException(
                    $"Output '{signature.OutputName}' holds {signature.OutputImageLength} values per image; the {OutputLayout.Name(decoder.Format)} decoder expects {decoder.OutputLength}.");
            }

            // What the manifest left out comes from the model or its format, and is said so.
            var (input, conventionDefaulted) = InputConventions.Resolve(sized.Input, decoder.Format);
            input = input with { Tensor = signature.InputName };
            DefaultedValue[] defaulted = [.. sizeDefaulted, .. LayoutDefaults(manifest, decoder.Format, classNames, metadata, signature), .. conventionDefaulted];
            foreach (var value in defaulted)
            {
                LogDefaulted(_logger, id, value.Field, value.Value, value.From);
            }

            if (metadata.ImageSize is { } exported && manifest.Input.Width is not null && (exported.Width, exported.Height) != (input.Width, input.Height))
            {
                LogImageSizeDiffers(_logger, id, input.Width, input.Height, exported.Width, exported.Height);
            }

            var postprocessor = new DetectionPostprocessor(decoder, classNames);

            // A static batch caps it: a static batch of one means every image is its own run.
            int CapacityOn(string loaded) => Math.Min(batching.MaxBatchSizeFor(loaded), signature.StaticBatchSize ?? int.MaxValue);
            TensorRtTarget? tensorRt = null;
            if (probeOnCpu)
            {
                if (settings.Upload == InputUpload.Uint8)
                {
                    status?.Report("Merging the uint8 input stage into the model.");
                    source = OnnxModelSource.Memory(Uint8InputStage.Merge(File.ReadAllBytes(path), signature.InputName, input), $"{path} (with the uint8 input stage)");
                }

                first.Dispose();
                sessions.Clear();
                var slotShape = settings.Upload == InputUpload.Uint8 ? new long[] { signature.Height, signature.Width, 3 } : signature.SlotShape;
                tensorRt = new TensorRtTarget(settings.EngineCacheDirectory(sha256), signature.InputName, slotShape, signature.StaticBatchSize, CapacityOn(OnnxSessionFactory.TensorRtProvider));
                (first, provider) = OnnxSessionFactory.Create(source, group, tensorRt, sessionLogger);
                sessions.Add(first);
                signature = Restaged(first, sized, metadata, signature);
            }

            var capacity = CapacityOn(provider);
            if (batching.MaxBatchSize is null)
            {
                LogBatchSizeDefaulted(_logger, id, capacity, provider);
            }

            var graphs = backend.CudaGraphs && provider == OnnxSessionFactory.CudaProvider;
            if (backend.CudaGraphs && !graphs)
            {
                LogCudaGraphsOff(_logger, id, provider);
            }

            var count = settings.Instances ?? backend.InstancesFor(provider);
            var same = group with { ExecutionProvider = OnnxSessionFactory.PreferenceFor(provider) };
            while (sessions.Count < count)
            {
                sessions.Add(OnnxSessionFactory.Create(source, same, tensorRt, sessionLogger).Session);
            }

            var lone = backend.LoneInstanceFor(provider, count);
            if (lone)
            {
                sessions.Add(OnnxSessionFactory.Create(source, same.ForLoneInstance(), tensorRt, sessionLogger).Session);
            }
            else if (backend.LoneInstance == true)
            {
                LogNoLoneInstance(_logger, id, provider, count);
            }

            var memory = HostMemoryFor(id, provider, first);
            resources.Add(memory);
            var retained = sessions.Count + 2;
            var inputs = new BatchTensorPool(memory, signature, signature.StaticBatchSize ?? capacity, retained);
            resources.Insert(0, inputs);
            var outputs = new BatchOutputPool(memory, signature, inputs.Capacity, retained);
            resources.Insert(0, outputs);
            while (sessions.Count > 0)
            {
                var session = sessions[0];
                instances.Add(graphs ? new CudaGraphInstance(session, signature, outputs, capacity, backend.DeviceId) : new OnnxInstance(session, signature, outputs));
                sessions.RemoveAt(0);
            }

            var warmed = WarmUp(instances, inputs, signature, input, capacity, graphs ? CudaGraphInstance.WarmUpRuns : 1, status, cancellationToken);
            var scheduler = new BatchScheduler<BatchTensor, BatchOutput>(
                new CappedBuffers(inputs, capacity),
                instances[..count],
                batching,
                time,
                observer,
                loggers.CreateLogger("Inference.Core.Scheduling.BatchScheduler"),
                id,
                lone ? instances[^1] : null);
            return new ServedModel(id, sized, input, defaulted, sha256, provider, signature, postprocessor, instances, scheduler, warmed, resolved.Download, settings.Upload, resources);
        }
        catch
        {
            sessions.ForEach(s => s.Dispose());
            instances.ForEach(i => i.Dispose());
            resources.ForEach(r => r.Dispose());
            throw;
        }
    }

    /// <summary>The signature of the serving session, which must be the probed model's, in the layout the upload asked for.</summary>
    private static ModelSignature Restaged(InferenceSession session, ModelManifest sized, OnnxModelMetadata metadata, ModelSignature probed)
    {
        var signature = ModelSignature.Read(session, sized with { Input = sized.Input with { Tensor = probed.InputName } }, metadata, out _);
        if ((signature.OutputRows, signature.OutputColumns, signature.StaticBatchSize) != (probed.OutputRows, probed.OutputColumns, probed.StaticBatchSize))
        {
            throw new ModelLoadException(
                $"The serving session's output [{signature.OutputRows}, {signature.OutputColumns}] differs from the probed [{probed.OutputRows}, {probed.OutputColumns}].");
        }

        return signature;
    }

    /// <summary>CUDA-pinned host memory when the model runs on a GPU; ORT's CPU allocator otherwise, or when pinning is unavailable.</summary>
    private HostMemory HostMemoryFor(string id, string provider, InferenceSession session)
    {
        if (!OnnxSessionFactory.RunsOnGpu(provider))
        {
            return HostMemory.Cpu();
        }

        try
        {
            return HostMemory.CudaPinned(session, backend.DeviceId);
        }
        catch (OnnxRuntimeException ex)
        {
            LogPinnedUnavailable(_logger, id, provider, ex.Message);
            return HostMemory.Cpu();
        }
    }

    /// <summary>
    /// Runs every instance at every batch size (<paramref name="runs"/> times each: a CUDA graph is captured on a
    /// later run than the first), so no first request pays for allocation, kernel choice or capture.
    /// </summary>
    private int[] WarmUp(List<IModelInstance> instances, BatchTensorPool inputs, ModelSignature signature, InputSpec input, int capacity, int runs, IProgress<string>? status, CancellationToken cancellationToken)
    {
        var sizes = signature.StaticBatchSize is { } fixedSize ? [fixedSize] : Enumerable.Range(1, capacity).ToArray();
        using var batch = inputs.Rent();
        if (signature.Layout == SlotLayout.UInt8Nhwc)
        {
            batch.Bytes.Fill((byte)input.PadValue);
        }
        else
        {
            MemoryMarshal.Cast<byte, float>(batch.Bytes).Fill(input.PadValue * (input.PixelScale == PixelScale.Unit ? 1f / 255f : 1f));
        }

        for (var i = 0; i < instances.Count; i++)
        {
            foreach (var size in sizes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                status?.Report($"Warming up instance {i + 1} of {instances.Count}, batch size {size} of {sizes[^1]}.");
                var clock = Stopwatch.StartNew();
                try
                {
                    for (var run = 0; run < runs; run++)
                    {
                        using var _ = instances[i].Run(batch, Math.Min(size, batch.Capacity));
                    }
                }
                catch (OnnxRuntimeException ex)
                {
                    throw new ModelLoadException($"The model failed its warm-up run at batch size {size} (Batching:MaxBatchSize is {capacity}): {ex.Message}", ex);
                }

                LogWarmedUp(_logger, i, size, clock.Elapsed.TotalMilliseconds);
            }
        }

        return sizes;
    }

    /// <summary>The format and class names when the manifest left them to the model.</summary>
    private static IEnumerable<DefaultedValue> LayoutDefaults(ModelManifest manifest, OutputFormat format, IReadOnlyList<string> classNames, OnnxModelMetadata metadata, ModelSignature signature)
    {
        var shape = OutputLayout.Describe(signature.ProbedOutputShape);
        if (manifest.Format is null)
        {
            yield return new DefaultedValue("format", OutputLayout.Name(format), $"the shape {shape} of output '{signature.OutputName}'");
        }

        if (manifest.Classes is null)
        {
            yield return metadata.Names is not null
                ? new DefaultedValue("classes", $"{classNames.Count} names", "the ONNX metadata names")
                : new DefaultedValue("classes", $"numbers 0–{classNames.Count - 1}", $"the shape {shape} of output '{signature.OutputName}' (no names in the manifest or the metadata)");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Id}: Batching:MaxBatchSize is not set; batches of up to {BatchSize}, the default on {Provider}")]
    private static partial void LogBatchSizeDefaulted(ILogger logger, string id, int batchSize, string provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Id}: Inference:LoneInstance is on, but a model on {Provider} with {Instances} instance(s) has no cores to gather for a lone request; it runs without one")]
    private static partial void LogNoLoneInstance(ILogger logger, string id, string provider, int instances);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Id} ({Name} {Version}) ready on {Provider} with {Instances} instance(s) after {Milliseconds:0} ms")]
    private static partial void LogReady(ILogger logger, string id, string name, string version, string provider, int instances, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Id}: the manifest leaves {Field} out: {Value}, from {From}")]
    private static partial void LogDefaulted(ILogger logger, string id, string field, string value, string from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Id}: the manifest runs the model at {Width}×{Height}, but it was exported at {ExportedWidth}×{ExportedHeight} (ONNX metadata imgsz)")]
    private static partial void LogImageSizeDiffers(ILogger logger, string id, int width, int height, int exportedWidth, int exportedHeight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Id}: Inference:CudaGraphs is on, but the model runs on {Provider}; CUDA graphs are off")]
    private static partial void LogCudaGraphsOff(ILogger logger, string id, string provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Id}: no CUDA-pinned host memory on {Provider}, batches use pageable memory (slower copies): {Reason}")]
    private static partial void LogPinnedUnavailable(ILogger logger, string id, string provider, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Warmed up instance {Instance} at batch size {BatchSize} in {Milliseconds:0.0} ms")]
    private static partial void LogWarmedUp(ILogger logger, int instance, int batchSize, double milliseconds);

    /// <summary>Puts download progress into the status sentence as it happens.</summary>
    private sealed class Progress(IProgress<string> status) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => status.Report(value.ToString());
    }

    /// <summary>
    /// The scheduler's view of the pool: a static-batch model's tensors hold its whole fixed batch, but the scheduler
    /// forms batches only up to the configured maximum.
    /// </summary>
    private sealed class CappedBuffers(BatchTensorPool pool, int capacity) : IBatchBuffers<BatchTensor>
    {
        public int Capacity => capacity;

        public BatchTensor Rent() => pool.Rent();

        public void Release(BatchTensor batch) => pool.Release(batch);
    }
}
