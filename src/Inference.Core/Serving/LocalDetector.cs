using Inference.Core.Backends;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Core.Repository;
using Inference.Core.Scheduling;
using Inference.Core.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inference.Core.Serving;

/// <summary>
/// One model served in-process, without a host: the CLI's validate and predict, imports and tests use it. It is the
/// same loader, scheduler and detection service the service runs, so it gives the same answers and the same
/// sentences when something is wrong.
/// </summary>
public sealed class LocalDetector : IAsyncDisposable
{
    private LocalDetector(ServedModel model, DetectionService service)
    {
        Model = model;
        Service = service;
    }

    public ServedModel Model { get; }

    public DetectionService Service { get; }

    /// <exception cref="ModelLoadException">The model does not load or does not fit its manifest.</exception>
    public static async Task<LocalDetector> LoadAsync(
        ModelManifest manifest,
        string weightsPath,
        BackendOptions? backend = null,
        BatchingOptions? batching = null,
        ImageLimits? limits = null,
        ILoggerFactory? loggers = null,
        ModelBackendSettings? settings = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        // One caller at a time needs no batches; callers who want them say so.
        var loader = new ModelLoader(backend ?? new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Cpu }, batching ?? new BatchingOptions { MaxBatchSize = 1 }, new S3Options(), loggers ?? NullLoggerFactory.Instance);
        var model = await loader.LoadAsync(manifest.Name, new ResolvedModel(manifest, weightsPath, null), settings, cancellationToken: cancellationToken).ConfigureAwait(false);
        var service = new DetectionService(new ImageDecoder(limits ?? ImageLimits.Default), new MemoryGate(Environment.ProcessorCount, 256L << 20));
        try
        {
            await service.WarmUpAsync(model, cancellationToken).ConfigureAwait(false);
            return new LocalDetector(model, service);
        }
        catch
        {
            await model.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Loads a manifest file and the weights it names.</summary>
    public static Task<LocalDetector> LoadAsync(string manifestPath, BackendOptions? backend = null, CancellationToken cancellationToken = default)
    {
        var manifest = ModelManifest.Load(manifestPath);
        var weights = manifest.ResolvePath(manifest.Weights ?? throw new ModelLoadException($"The manifest '{manifestPath}' names no 'weights' file."));
        return LoadAsync(manifest, weights, backend, cancellationToken: cancellationToken);
    }

    public Task<DetectionResult> DetectAsync(ReadOnlyMemory<byte> image, DetectionOptions? options = null, CancellationToken cancellationToken = default) =>
        Service.DetectAsync(Model, image, options ?? Model.DefaultOptions, cancellationToken);

    public Task<IReadOnlyList<DetectionResult>> DetectAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, DetectionOptions? options = null, CancellationToken cancellationToken = default) =>
        Service.DetectAsync(Model, images, options ?? Model.DefaultOptions, cancellationToken);

    public Task<IReadOnlyList<GoldenCheckResult>> RunGoldenChecksAsync(CancellationToken cancellationToken = default) =>
        Service.RunGoldenChecksAsync(Model, cancellationToken);

    public ValueTask DisposeAsync() => Model.DisposeAsync();
}
