using Amazon.S3;
using Inference.Cli.Models;
using Inference.Core.Model;
using Inference.Core.Serving;
using Inference.Core.Sources;
using Inference.Registry;
using Inference.Registry.Datasets;
using Inference.Registry.Models;
using Inference.Registry.Storage;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Cli.Roboflow;

public sealed record ImportRequest(string Export, string ModelName, string Bucket, string? Prefix = null, string? Weights = null, string? DatasetName = null);

public sealed record ImportResult(DatasetDocument Dataset, bool DatasetIsNew, ModelDocument Model, ModelPin Pin);

/// <summary>
/// A Roboflow export becomes a dataset version (only when its contents are new) and a model version with its
/// lineage: the ONNX weights are checked against the export's classes, pushed with a manifest, and registered.
/// </summary>
public sealed class RoboflowImporter(ModelRegistry registry, IAmazonS3 s3, S3Options s3Options)
{
    private const int DefaultInputSize = 640;
    private static readonly string[] GoldenSplits = ["valid", "test", "train"];

    public async Task<ImportResult> ImportAsync(ImportRequest request, TrainingInfo training, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var export = RoboflowExport.Open(request.Export);
        var weights = request.Weights ?? export.FindOnnxWeights();
        if (!File.Exists(weights))
        {
            throw new FileNotFoundException($"The weights file '{weights}' does not exist.", weights);
        }

        var work = Directory.CreateTempSubdirectory("roboflow-import-");
        try
        {
            // Everything that can be checked locally is checked before anything is written anywhere.
            var manifest = await BuildManifestAsync(request, export, weights, work.FullName, cancellationToken).ConfigureAwait(false);

            var (dataset, isNew) = await RegisterDatasetAsync(request, export, actor, cancellationToken).ConfigureAwait(false);
            var manifestPath = Path.Combine(work.FullName, "manifest.json");
            await File.WriteAllTextAsync(manifestPath, manifest.ToJson(), cancellationToken).ConfigureAwait(false);
            var pin = await new ModelPusher(s3).PushAsync(weights, manifestPath, request.Bucket, request.Prefix ?? $"models/{request.ModelName}/", cancellationToken).ConfigureAwait(false);
            var model = await registry.Models.RegisterAsync(
                new ModelDocument
                {
                    Name = request.ModelName,
                    Dataset = new DatasetReference(dataset.Name, dataset.Version, dataset.Id),
                    Artifact = await ArtifactFactory.FromPinAsync(pin, s3Options, cancellationToken).ConfigureAwait(false),
                    Training = training with { ImageSize = training.ImageSize ?? manifest.Input.Width },
                    Tags = ["roboflow"],
                    CreatedBy = actor,
                },
                cancellationToken).ConfigureAwait(false);
            return new ImportResult(dataset, isNew, model, pin);
        }
        finally
        {
            work.Delete(recursive: true);
        }
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
    /// Ultralytics' conventions (YOLOv8 layout, RGB, 0–1, centred letterbox, pad 114) at the model's own input size,
    /// with the export's classes; loading it once proves the class count and shapes agree. A consistency golden check
    /// is recorded on the first validation image, so a deployment reproduces exactly what was registered.
    /// </summary>
    private async Task<ModelManifest> BuildManifestAsync(ImportRequest request, RoboflowExport export, string weights, string work, CancellationToken cancellationToken)
    {
        var (width, height) = InputSize(weights);
        var manifest = new ModelManifest
        {
            Name = request.ModelName,
            Version = (await NextVersionAsync(request.ModelName, cancellationToken).ConfigureAwait(false)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Format = OutputFormat.Yolov8,
            Input = new ModelInput { Width = width, Height = height, ChannelOrder = ChannelOrder.Rgb, PixelScale = PixelScale.Unit, Anchor = LetterboxAnchor.Center, PadValue = 114 },
            Classes = export.Names,
            BaseDirectory = work,
        };

        await using var detector = await LocalDetector.LoadAsync(manifest, weights, cancellationToken: cancellationToken).ConfigureAwait(false);
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
        var detections = (await detector.DetectAsync(await File.ReadAllBytesAsync(golden, cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false)).Detections;
        return manifest with
        {
            Golden =
            [
                new GoldenCheck
                {
                    Image = golden,
                    Expected = detections.Select(d => new ExpectedDetection(d.ClassName, d.Confidence, d.Box)).ToArray(),
                    BoxTolerance = 2,
                    ConfidenceTolerance = 0.02f,
                },
            ],
        };
    }

    private async Task<int> NextVersionAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await registry.Models.GetAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false)).Version + 1;
        }
        catch (RegistryException ex) when (ex.Failure == RegistryFailure.NotFound)
        {
            return 1;
        }
    }

    private static (int Width, int Height) InputSize(string weights)
    {
        using var session = new InferenceSession(weights);
        var dims = session.InputMetadata.Values.First().Dimensions;
        return dims is [_, _, > 0 and var h, > 0 and var w] ? (w, h) : (DefaultInputSize, DefaultInputSize);
    }
}
