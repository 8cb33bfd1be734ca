using System.CommandLine;
using System.Globalization;
using Inference.Cli.Errors;
using Inference.Core.Contracts;
using Inference.Core.Imaging;
using Inference.Core.Serving;
using Inference.Core.Sources;
using Spectre.Console;

namespace Inference.Cli.Models;

/// <summary><c>inference predict</c>: detections for local images, through the same pipeline the service runs.</summary>
internal static class PredictCommand
{
    private const long MaxImageBytes = 64L << 20;

    public static Command Create()
    {
        var manifest = new Argument<FileInfo>("manifest") { Description = "The model manifest." };
        var images = new Argument<FileInfo[]>("image") { Description = "One or more image files.", Arity = ArgumentArity.OneOrMore };
        var weights = new Option<FileInfo?>("--weights") { Description = "The ONNX file; default the manifest's 'weights'." };
        var confidence = new Option<float?>("--confidence") { Description = "Minimum score (0–1); default the manifest's postprocess.confidence." };
        var iou = new Option<float?>("--iou") { Description = "NMS IoU threshold (0–1]; default the manifest's postprocess.iou." };
        var json = CliOutput.JsonOption();
        var command = new Command("predict", "Run the model on images and print the detections as a table, or as the service's JSON with --json.") { manifest, images, weights, confidence, iou, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var files = result.GetValue(images)!;
            if (result.GetValue(manifest) is { Exists: false } absent)
            {
                throw CliException.NotFound($"The manifest '{absent.FullName}' does not exist.");
            }

            foreach (var missing in files.Where(f => !f.Exists))
            {
                throw CliException.NotFound($"The image '{missing.FullName}' does not exist.");
            }

            var resolved = await new ModelResolver(new ModelCache(Path.GetTempPath()), fetcher: null)
                .ResolveAsync(new ModelSpec(result.GetValue(manifest)!.FullName, WeightsPath: result.GetValue(weights)?.FullName), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            await using var detector = await LocalDetector.LoadAsync(resolved.Manifest, resolved.WeightsPath, cancellationToken: cancellationToken).ConfigureAwait(false);
            var options = detector.Model.DefaultOptions;
            options = options with { Confidence = result.GetValue(confidence) ?? options.Confidence, Iou = result.GetValue(iou) ?? options.Iou };
            if (options.Validate(detector.Model.ClassNames.Count) is { Count: > 0 } problems)
            {
                throw CliException.Usage(string.Join(" ", problems));
            }

            var answers = new List<ImageAnswer>(files.Length);
            var failures = new List<string>();
            foreach (var file in files)
            {
                if (file.Length > MaxImageBytes)
                {
                    failures.Add($"'{file.Name}' is {file.Length} bytes; at most {MaxImageBytes} are read.");
                    continue;
                }

                try
                {
                    var detected = await detector.DetectAsync(await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false), options, cancellationToken).ConfigureAwait(false);
                    answers.Add(new ImageAnswer(file.Name, new ImageSize(detected.Width, detected.Height), detected.Detections.Select(DetectedObject.From).ToArray()));
                }
                catch (ImageDecodeException ex)
                {
                    failures.Add($"'{file.Name}': {ex.Message}");
                }
            }

            if (result.GetValue(json))
            {
                CliOutput.WriteJson(result, answers);
            }
            else
            {
                WriteTable(result, answers);
            }

            return failures.Count == 0
                ? CliOutput.Success
                : throw new CliException(ExitCode.Failed, "not-an-image", $"{failures.Count} of {files.Length} images could not be read: {string.Join(" ", failures)}", failures) { Headline = $"{failures.Count} of {files.Length} images could not be read" };
        });
        return command;
    }

    private static void WriteTable(ParseResult result, IReadOnlyList<ImageAnswer> answers)
    {
        var table = CliOutput.Table("image", "size", "class", "confidence", "x1", "y1", "x2", "y2");
        foreach (var answer in answers)
        {
            var size = string.Create(CultureInfo.InvariantCulture, $"{answer.Image.Width}x{answer.Image.Height}");
            if (answer.Detections.Count == 0)
            {
                table.AddRow(Markup.Escape(answer.File), size, "(nothing)", string.Empty, string.Empty, string.Empty, string.Empty, string.Empty);
            }

            foreach (var d in answer.Detections)
            {
                table.AddRow(
                    Markup.Escape(answer.File),
                    size,
                    Markup.Escape(d.Class),
                    d.Confidence.ToString("0.000", CultureInfo.InvariantCulture),
                    d.Box.X1.ToString("0.#", CultureInfo.InvariantCulture),
                    d.Box.Y1.ToString("0.#", CultureInfo.InvariantCulture),
                    d.Box.X2.ToString("0.#", CultureInfo.InvariantCulture),
                    d.Box.Y2.ToString("0.#", CultureInfo.InvariantCulture));
            }
        }

        CliOutput.Write(result, table);
    }

    private sealed record ImageAnswer(string File, ImageSize Image, IReadOnlyList<DetectedObject> Detections);
}
