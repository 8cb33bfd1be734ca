using Inference.Cli.Errors;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Serving;

namespace Inference.Cli.Models;

/// <summary>The manifest <c>model init</c> writes: every value the loader settled, written out so the file says what runs.</summary>
internal static class ManifestTemplate
{
    public const string SchemaFile = "manifest.schema.json";

    /// <param name="namesKnown">Whether the class names came from somewhere (the draft or the ONNX metadata), rather than being numbers.</param>
    public static ModelManifest From(ModelFacts facts, ModelManifest draft, string weights, string schema, bool namesKnown)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(draft);
        return new ModelManifest
        {
            Schema = schema,
            Name = draft.Name,
            Version = draft.Version,
            Format = ManifestEnums.TryParse<OutputFormat>(facts.Format, out var format) ? format : null,
            Input = Explicit(facts.Input),
            Classes = namesKnown ? facts.Classes : null,
            Weights = weights.Replace('\\', '/'),
            Postprocess = new PostprocessDefaults(),
        };
    }

    /// <summary>Every input value written out, so the manifest says what runs without relying on detection.</summary>
    public static ModelInput Explicit(InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ModelInput
        {
            Width = input.Width,
            Height = input.Height,
            ChannelOrder = input.ChannelOrder,
            PixelScale = input.PixelScale,
            Anchor = input.Anchor,
            PadValue = input.PadValue,
        };
    }

    /// <summary>
    /// Records what the model finds now on each image as a golden check (a consistency check, as Roboflow imports
    /// get): a deployment that serves the same model through the same pipeline reproduces it within the tolerances.
    /// </summary>
    public static async Task<ModelManifest> WithGoldenChecksAsync(ModelManifest manifest, string weights, IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(images);
        await using var detector = await LocalDetector.LoadAsync(manifest, weights, cancellationToken: cancellationToken).ConfigureAwait(false);
        var checks = new List<GoldenCheck>(images.Count);
        foreach (var image in images)
        {
            checks.Add(await RecordGoldenCheckAsync(detector, image, manifest.BaseDirectory, cancellationToken).ConfigureAwait(false));
        }

        return manifest with { Golden = checks };
    }

    /// <summary>One golden check: the image (relative to the manifest) and what <paramref name="detector"/> finds on it now.</summary>
    public static async Task<GoldenCheck> RecordGoldenCheckAsync(LocalDetector detector, string image, string manifestDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(detector);
        if (!File.Exists(image))
        {
            throw CliException.NotFound($"The golden image '{image}' does not exist.");
        }

        IReadOnlyList<Core.Postprocessing.Detection> detections;
        try
        {
            detections = (await detector.DetectAsync(await File.ReadAllBytesAsync(image, cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false)).Detections;
        }
        catch (ImageDecodeException ex)
        {
            throw CliException.Usage($"The golden image '{image}' cannot be used: {ex.Message}");
        }

        return new GoldenCheck
        {
            Image = Path.GetRelativePath(manifestDirectory, image).Replace('\\', '/'),
            Expected = detections.Select(d => new ExpectedDetection(d.ClassName, d.Confidence, d.Box)).ToArray(),
            BoxTolerance = 2,
            ConfidenceTolerance = 0.02f,
        };
    }

    /// <summary>
    /// The schema editors should check the manifest against: the repository's <c>models/manifest.schema.json</c> as a
    /// relative path when the manifest lives in a checkout, else the copy that ships with the tool.
    /// </summary>
    public static string SchemaReference(string manifestFolder)
    {
        for (var folder = new DirectoryInfo(manifestFolder); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "models", SchemaFile);
            if (File.Exists(candidate))
            {
                return Path.GetRelativePath(manifestFolder, candidate).Replace('\\', '/');
            }
        }

        return new Uri(Path.Combine(AppContext.BaseDirectory, SchemaFile)).AbsoluteUri;
    }
}
