using System.Diagnostics;
using Inference.Core.Backends;
using Inference.Core.Contracts;
using Inference.Core.Model;
using Inference.Core.Repository;
using Inference.Core.Sources;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Core.Serving;


/// <summary>What a loaded model turned out to be: the facts the service would report, and what the manifest left out.</summary>
public sealed record ModelFacts(
    string Name,
    string Version,
    string Sha256,
    string Format,
    InputSpec Input,
    IReadOnlyList<string> Classes,
    IReadOnlyList<DefaultedValue> Defaulted,
    int? StaticBatchSize,
    string Provider)
{
    public static ModelFacts Of(ServedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ModelFacts(
            model.Manifest.Name,
            model.Manifest.Version,
            model.Sha256,
            OutputLayout.Name(model.Format),
            model.Input,
            model.ClassNames,
            model.Defaulted,
            model.Signature.StaticBatchSize,
            model.Provider);
    }
}

/// <summary>
/// The verdict of an offline check. <see cref="Problems"/> are the service's own sentences (a load failure, a golden
/// check that differs); any problem means the service would not serve the model, or would serve it wrongly.
/// </summary>
public sealed record ModelCheckReport(
    ModelFacts? Model,
    ModelGolden? Golden,
    IReadOnlyList<string> Problems,
    IReadOnlyList<string> Warnings,
    double LoadMs,
    double RunMs)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// Validates a model offline, exactly as the service would take it: load it with the service's loader (checksum,
/// input and output shapes, format, classes, defaults), run one image through the full pipeline, then run the
/// manifest's golden checks. <c>inference model validate</c>, <c>model push</c>, <c>registry model register</c> and
/// <c>roboflow import</c> all call this one entry point, so a model one of them accepts is one the others accept.
/// </summary>
public static class ModelCheck
{
    private const byte NeutralGrey = 128;

    /// <summary>Checks a local manifest and the weights it names (or <paramref name="weightsPath"/>).</summary>
    public static async Task<ModelCheckReport> RunAsync(string manifestPath, string? weightsPath = null, BackendOptions? backend = null, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        ResolvedModel resolved;
        try
        {
            resolved = await new ModelResolver(new ModelCache(Path.GetTempPath()), fetcher: null)
                .ResolveAsync(new ModelSpec(Path.GetFullPath(manifestPath), WeightsPath: weightsPath is null ? null : Path.GetFullPath(weightsPath)), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (ModelLoadException ex)
        {
            return Failed(ex.Problems);
        }

        return await RunAsync(resolved, backend, loggers, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks a model whose files are already local (a resolved pin, say).</summary>
    public static async Task<ModelCheckReport> RunAsync(ResolvedModel model, BackendOptions? backend = null, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var clock = Stopwatch.StartNew();
        LocalDetector detector;
        try
        {
            detector = await LocalDetector.LoadAsync(model.Manifest, model.WeightsPath, backend, loggers: loggers, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ModelLoadException ex)
        {
            return Failed(ex.Problems);
        }

        await using (detector.ConfigureAwait(false))
        {
            var loadMs = clock.Elapsed.TotalMilliseconds;
            var facts = ModelFacts.Of(detector.Model);
            clock.Restart();
            try
            {
                await detector.DetectAsync(NeutralImage(detector.Model.Input), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Scheduling.BatchFailedException or Scheduling.ModelFailedException)
            {
                return new ModelCheckReport(facts, null, [$"A run through the full request path failed: {ex.Message}"], [], loadMs, clock.Elapsed.TotalMilliseconds);
            }

            var runMs = clock.Elapsed.TotalMilliseconds;
            var golden = ModelGolden.From(detector.Model, await detector.RunGoldenChecksAsync(cancellationToken).ConfigureAwait(false));
            var problems = golden.Checks
                .Where(c => !c.Passed)
                .Select(c => $"Golden check '{c.Image}' failed: {string.Join(" ", c.Problems)}")
                .ToArray();
            var warnings = golden.Warning is { } warning ? new[] { warning } : [];
            return new ModelCheckReport(facts, golden, problems, warnings, loadMs, runMs);
        }
    }

    private static ModelCheckReport Failed(IReadOnlyList<string> problems) => new(null, null, problems, [], 0, 0);

    /// <summary>A plain grey picture at the input size: it exercises decode, letterbox, the model and post-processing.</summary>
    private static byte[] NeutralImage(InputSpec input)
    {
        using var image = new Image<Rgb24>(input.Width, input.Height, new Rgb24(NeutralGrey, NeutralGrey, NeutralGrey));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
