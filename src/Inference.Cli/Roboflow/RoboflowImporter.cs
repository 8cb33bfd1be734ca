using System.Globalization;
using Amazon.S3;
using Inference.Cli.Errors;
using Inference.Cli.Models;
using Inference.Core.Model;
using Inference.Core.Serving;
using Inference.Core.Sources;
using Inference.Registry;
using Inference.Registry.Datasets;
using Inference.Registry.Models;

namespace Inference.Cli.Roboflow;

/// <param name="Format">The output layout, when detection from the output shape is not wanted.</param>
/// <param name="InputWidth">The input size, for a dynamic export without imgsz metadata.</param>
public sealed record ImportRequest(
    string Export,
    string ModelName,
    string Bucket,
    string? Prefix = null,
    string? Weights = null,
    string? DatasetName = null,
    OutputFormat? Format = null,
    int? InputWidth = null,
    int? InputHeight = null);

/// <param name="ModelIsNew">False when the same weights (same SHA-256) were imported before: nothing was written, and <see cref="Model"/> is that version.</param>
public sealed record ImportResult(DatasetDocument Dataset, bool DatasetIsNew, ModelDocument Model, bool ModelIsNew, ModelPin Pin);

/// <summary>
/// A Roboflow export becomes a dataset version (only when its contents are new) and a model version with its
/// lineage. The ONNX weights may have any layout the service decodes (YOLOv8/YOLO11, YOLOv5, end-to-end), detected
/// from the output shape unless the request names one. Everything that can be checked locally (the export's classes
/// against the weights, a run, a golden check) is checked with <see cref="ModelCheck"/> before anything is written;
/// the same weights imported again return the version they already are.
/// </summary>
public sealed class RoboflowImporter(ModelRegistry registry, IAmazonS3 s3)
{
    private static readonly string[] GoldenSplits = ["valid", "test", "train"];

    public async Task<ImportResult> ImportAsync(ImportRequest request, TrainingInfo training, string actor, IProgress<long>? uploadProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var export = RoboflowExport.Open(request.Export);
        var weights = Path.GetFullPath(request.Weights ?? export.FindOnnxWeights());
        if (!File.Exists(weights))
        {
            throw new FileNotFoundException($"The weights file '{weights}' does not exist.", weights);
        }

        if (await registry.Models.FindByWeightsAsync(request.ModelName, Sha256.OfFile(weights), cancellationToken).ConfigureAwait(false) is { } existing)
        {
            var dataset = await registry.Datasets.GetAsync(existing.Dataset.Name, existing.Dataset.Version, cancellationToken).ConfigureAwait(false);
            return new ImportResult(dataset, false, existing, false, PinOf(existing));
        }

        var work = Directory.CreateTempSubdirectory("roboflow-import-");
        try
        {
            // The version is the manifest's, so the service and the registry report the same one; a concurrent
            // import that takes it first makes this registration a conflict, never a silent mismatch.
            var version = await registry.Models.NextVersionAsync(request.ModelName, cancellationToken).ConfigureAwait(false);
            var manifest = await BuildManifestAsync(request, export, weights, version, work.FullName, cancellationToken).ConfigureAwait(false);
            var manifestPath = Path.Combine(work.FullName, "manifest.json");
            await File.WriteAllTextAsync(manifestPath, manifest.ToJson(), cancellationToken).ConfigureAwait(false);
            var report = await ModelCheck.RunAsync(new ResolvedModel(ModelManifest.Load(manifestPath), weights, null), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!report.Passed || report.Model is not { } facts)
            {
                throw CliException.ModelInvalid($"The export '{request.Export}' was not imported, because the service would refuse its model", report.Problems);
            }

            var (dataset, isNew) = await RegisterDatasetAsync(request, export, actor, cancellationToken).ConfigureAwait(false);
            var pushed = await new ModelPusher(s3).PushAsync(
                new PushRequest(weights, manifestPath, request.Bucket, request.Prefix ?? $"models/{request.ModelName}/"),
                uploadProgress,
                report,
                cancellationToken).ConfigureAwait(false);
            var model = await registry.Models.RegisterAsync(
                new ModelDocument
                {
                    Name = request.ModelName,
                    Version = version,
                    Dataset = new DatasetReference(dataset.Name, dataset.Version, dataset.Id),
                    Artifact = ArtifactFactory.From(pushed.Pin, facts),
                    Training = training with { ImageSize = training.ImageSize ?? facts.Input.Width },
                    Tags = ["roboflow"],
                    CreatedBy = actor,
                },
                cancellationToken).ConfigureAwait(false);
            return new ImportResult(dataset, isNew, model, true, pushed.Pin);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The pin of a registered model, as <c>model push</c> printed it.</summary>
    public static ModelPin PinOf(ModelDocument model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var weights = model.Artifact.Weights;
        return new ModelPin(
            new PinnedModel(model.Name, model.Version.ToString(CultureInfo.InvariantCulture)),
            new PinnedWeights(weights.Uri, weights.VersionId, weights.Sha256 ?? string.Empty, weights.Size ?? 0),
            new PinnedObject(model.Artifact.Manifest.Uri, model.Artifact.Manifest.VersionId));
    }

    private async Task<(DatasetDocument Dataset, bool IsNew)> RegisterDatasetAsync(ImportRequest request, RoboflowExport export, string actor, CancellationToken cancellationToken)
    {
        var name = request.DatasetName ?? export.Project ?? request.ModelName;
        var contentHash = export.ContentHash();
        if (await registry.Datasets.FindByContentAsync(name, contentHash, cancellationToken).ConfigureAwait(false) is { } known)
        {
            return (known, false);
        }

        var dataset = await registry.Datasets.RegisterAsync(
            new DatasetDocument
            {
                Name = name,
                Source = new DatasetSource
                {
                    Kind = export.Workspace is null ? DatasetSourceKind.Other : DatasetSourceKind.Roboflow,
                    Workspace = export.Workspace,
                    Project = export.Project,
                    Version = export.Version,
                    Url = export.Url,
                },
                Classes = export.Names,
                ImageCounts = export.ImageCounts,
                ContentHash = contentHash,
                CreatedBy = actor,
            },
            cancellationToken).ConfigureAwait(false);
        return (dataset, true);
    }

    /// <summary>
    /// The export's classes, the model's own size and layout (or the request's), and the layout's conventions written
    /// out (Roboflow trains with Ultralytics: RGB, 0–1, centred, pad 114 for every Ultralytics layout). Loading it
    /// once proves the class count and shapes agree, and records a consistency golden check on the first validation
    /// image, so a deployment reproduces exactly what was registered.
    /// </summary>
    private static async Task<ModelManifest> BuildManifestAsync(ImportRequest request, RoboflowExport export, string weights, int version, string work, CancellationToken cancellationToken)
    {
        var draft = new ModelManifest
        {
            Name = request.ModelName,
            Version = version.ToString(CultureInfo.InvariantCulture),
            Format = request.Format,
            Input = new ModelInput { Width = request.InputWidth, Height = request.InputHeight },
            Classes = export.Names,
            BaseDirectory = work,
        };

        await using var detector = await LocalDetector.LoadAsync(draft, weights, cancellationToken: cancellationToken).ConfigureAwait(false);
        var manifest = draft with { Format = detector.Model.Format, Input = ManifestTemplate.Explicit(detector.Model.Input) };
        var sample = GoldenSplits
            .Select(split => Path.Combine(export.Root, split, "images"))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
            .FirstOrDefault();
        if (sample is null)
        {
            return manifest;
        }

        var golden = Path.Combine(work, "golden" + Path.GetExtension(sample));
        File.Copy(sample, golden);
        return manifest with { Golden = [await ManifestTemplate.RecordGoldenCheckAsync(detector, golden, work, cancellationToken).ConfigureAwait(false)] };
    }
}
