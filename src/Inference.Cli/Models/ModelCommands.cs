using System.CommandLine;
using System.Globalization;
using Inference.Cli.Errors;
using Inference.Cli.Progress;
using Inference.Core.Model;
using Inference.Core.Serving;
using Inference.Core.Sources;
using Spectre.Console;

namespace Inference.Cli.Models;

/// <summary><c>inference model inspect|init|validate|push|package-sagemaker</c>: from an ONNX file to a checked, pinned model.</summary>
internal static class ModelCommands
{
    public static Command Create()
    {
        var model = new Command("model", "Onboard a model: inspect an ONNX file, write its manifest, validate it offline, push it to S3 with a pin.");
        model.Subcommands.Add(Inspect());
        model.Subcommands.Add(Init());
        model.Subcommands.Add(Validate());
        model.Subcommands.Add(Push());
        model.Subcommands.Add(PackageSageMaker());
        return model;
    }

    private static Command Inspect()
    {
        var onnx = new Argument<FileInfo>("onnx") { Description = "The ONNX file." };
        var json = CliOutput.JsonOption();
        var command = new Command("inspect", "Inputs, outputs, shapes and metadata of an ONNX file, and the layout, size, classes and input conventions the service would use.") { onnx, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var inspection = await ModelInspector.InspectAsync(result.GetValue(onnx)!.FullName, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                CliOutput.WriteJson(result, inspection);
                return inspection.Detected is null ? Fail(inspection) : CliOutput.Success;
            }

            var output = CliOutput.Out(result);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{inspection.Path} ({inspection.Bytes} bytes, sha256 {inspection.Sha256}){(inspection.Producer is { } p ? $", produced by {p}" : string.Empty)}"));
            var tensors = CliOutput.Table("tensor", "name", "type", "shape");
            foreach (var (kind, list) in new[] { ("input", inspection.Inputs), ("output", inspection.Outputs) })
            {
                foreach (var tensor in list)
                {
                    tensors.AddRow(kind, Markup.Escape(tensor.Name), tensor.ElementType, Markup.Escape($"[{string.Join(", ", tensor.Shape)}]"));
                }
            }

            CliOutput.Write(result, tensors);
            if (inspection.Metadata.Count > 0)
            {
                var metadata = CliOutput.Table("metadata", "value");
                foreach (var (key, value) in inspection.Metadata)
                {
                    metadata.AddRow(Markup.Escape(key), Markup.Escape(value.Length > 120 ? value[..117] + "..." : value));
                }

                CliOutput.Write(result, metadata);
            }
            else
            {
                output.WriteLine("No custom metadata.");
            }

            output.WriteLine();
            if (inspection.Detected is not { } detected)
            {
                return Fail(inspection);
            }

            output.WriteLine("As the service would load it:");
            ModelFactsOutput.Write(result, detected, identity: false);
            return CliOutput.Success;
        });
        return command;

        static int Fail(ModelInspection inspection) =>
            throw CliException.ModelInvalid($"The service would not load '{inspection.Path}' as it is", inspection.Problems, ExitCode.Failed);
    }

    private static Command Init()
    {
        var onnx = new Argument<FileInfo>("onnx") { Description = "The ONNX file to write a manifest for." };
        var classes = new Option<FileInfo?>("--classes") { Description = "A text file with the class names in output order, one per line; default the ONNX metadata's names." };
        var output = new Option<string?>("--output") { Description = "Where to write the manifest ('-' for standard output); default manifest.json beside the ONNX file." };
        var name = new Option<string?>("--name") { Description = "The model's name; default the ONNX file's name." };
        var version = new Option<string>("--version") { DefaultValueFactory = _ => "1", Description = "The model's version: a whole number, as the registry counts them." };
        var size = new Option<string?>("--input-size") { Description = "The input size as N or WIDTHxHEIGHT; needed only for a dynamic input without imgsz metadata." };
        var format = new Option<string?>("--format") { Description = $"The output layout, when detection from the output shape is not wanted: {string.Join("|", ManifestEnums.Names(typeof(OutputFormat)))}." };
        var schema = new Option<string?>("--schema") { Description = "The $schema reference to write; default the repository's models/manifest.schema.json (relative) or the tool's own copy." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing manifest." };
        var golden = new Option<FileInfo[]>("--golden")
        {
            Description = "An image whose detections, as the model gives them now, become a golden check (repeatable): deployments then prove they reproduce them.",
            AllowMultipleArgumentsPerToken = false,
        };
        var json = CliOutput.JsonOption();
        var command = new Command("init", "Write a manifest for an ONNX file with the right values for its detected format (every convention written out), ready for 'model validate'.")
        {
            onnx, classes, output, name, version, size, format, schema, force, golden, json,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var weights = result.GetValue(onnx)!.FullName;
            var target = result.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(weights)!, "manifest.json");
            var toStandardOutput = target == "-";
            if (!toStandardOutput && File.Exists(target) && !result.GetValue(force))
            {
                throw new CliException(ExitCode.Conflict, "conflict", $"'{target}' exists already; pass --force to overwrite it, or --output to write elsewhere.");
            }

            var names = result.GetValue(classes) is { } file ? ReadClasses(file.FullName) : null;
            var (width, height) = ParseSize(result.GetValue(size));
            var draft = new ModelManifest
            {
                Name = result.GetValue(name) ?? Path.GetFileNameWithoutExtension(weights),
                Version = result.GetValue(version)!,
                Format = result.GetValue(format) is { } f ? ParseFormat(f) : null,
                Input = new ModelInput { Width = width, Height = height },
                Classes = names,
            };
            var inspection = await ModelInspector.InspectAsync(weights, draft, cancellationToken).ConfigureAwait(false);
            if (inspection.Detected is not { } facts)
            {
                throw CliException.ModelInvalid($"No manifest was written for '{weights}'", inspection.Problems);
            }

            var folder = toStandardOutput ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(target))!;
            var namesKnown = names is not null || OnnxModelMetadata.Read(inspection.Metadata).Names is not null;
            var manifest = ManifestTemplate.From(facts, draft, Path.GetRelativePath(folder, weights), result.GetValue(schema) ?? ManifestTemplate.SchemaReference(folder), namesKnown);
            if (result.GetValue(golden) is { Length: > 0 } images)
            {
                manifest = await ManifestTemplate.WithGoldenChecksAsync(manifest with { BaseDirectory = folder }, weights, images.Select(i => i.FullName).ToArray(), cancellationToken).ConfigureAwait(false);
            }

            var text = manifest.ToJson() + "\n";
            if (toStandardOutput)
            {
                CliOutput.Out(result).Write(text);
                return CliOutput.Success;
            }

            await File.WriteAllTextAsync(target, text, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                CliOutput.WriteJson(result, new { manifest = Path.GetFullPath(target), model = facts });
                return CliOutput.Success;
            }

            var writer = CliOutput.Out(result);
            writer.WriteLine($"Wrote {target} for {facts.Format} ({InputConventions.Of(ParseFormat(facts.Format)).Family}):");
            ModelFactsOutput.Write(result, facts);
            if (manifest.Classes is null)
            {
                writer.WriteLine($"No class names are known, so the classes are numbered 0–{facts.Classes.Count - 1}; pass --classes FILE to name them.");
            }

            writer.WriteLine();
            writer.WriteLine($"Next: inference model validate {target}");
            return CliOutput.Success;
        });
        return command;
    }

    private static Command Validate()
    {
        var manifest = new Argument<FileInfo>("manifest") { Description = "The model manifest." };
        var weights = new Option<FileInfo?>("--weights") { Description = "The ONNX file; default the manifest's 'weights'." };
        var json = CliOutput.JsonOption();
        var command = new Command("validate", "Load the model offline as the service would, run it once, and run its golden checks; exits 1 on any problem, with the service's own sentences.") { manifest, weights, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = result.GetValue(manifest)!.FullName;
            if (!File.Exists(path))
            {
                throw CliException.NotFound($"The manifest '{path}' does not exist.");
            }

            var report = await ModelCheck.RunAsync(path, result.GetValue(weights)?.FullName, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                CliOutput.WriteJson(result, new { report.Passed, report.Model, report.Golden, report.Problems, report.Warnings, load_ms = Math.Round(report.LoadMs, 1), run_ms = Math.Round(report.RunMs, 1) });
            }
            else
            {
                WriteReport(result, report);
            }

            return report.Passed ? CliOutput.Success : throw CliException.ModelInvalid($"'{path}' is not valid", report.Problems, ExitCode.Failed);
        });
        return command;
    }

    private static Command Push() => UploadCommand(
        "push",
        "Validate the model as the service would, then upload weights, golden images and the manifest, and print the pin a service or task definition needs.",
        new UploadTexts(
            "The ONNX weights to upload.",
            "The model manifest; its golden images are uploaded too.",
            "A bucket with versioning enabled.",
            "Key prefix; default models/<model name>/.",
            "The model's name in the pushed manifest (and so in the service and the registry); default the manifest's.",
            "The model's version in the pushed manifest: the registry registers exactly this version; default the manifest's."),
        file => $"Uploading {file.Name}",
        (s3, request, progress, cancellationToken) => new ModelPusher(s3).PushAsync(request, progress, cancellationToken: cancellationToken));

    private static Command PackageSageMaker() => UploadCommand(
        "package-sagemaker",
        "Push the model as 'model push' does, then build model.tar.gz (manifest, weights, golden images) for a SageMaker endpoint, upload it once under its SHA-256 and print the pin with its ModelDataUrl; 'registry model register --pin' takes that pin.",
        new UploadTexts(
            "The ONNX weights.",
            "The model manifest; its golden images go into the archive too.",
            "A bucket with versioning enabled, in the endpoint's region.",
            "Key prefix; default models/<model name>/. The archive goes under PREFIX/sagemaker/<its sha256>/.",
            "The model's name in the pushed manifest and the archive; default the manifest's.",
            "The model's version in the pushed manifest and the archive; default the manifest's."),
        file => $"Uploading {file.Name} and {SageMakerPackager.ArchiveName}",
        (s3, request, progress, cancellationToken) => new SageMakerPackager(s3).PackageAsync(request, progress, cancellationToken));

    /// <summary>The help texts of the options 'model push' and 'model package-sagemaker' share.</summary>
    private sealed record UploadTexts(string Weights, string Manifest, string Bucket, string Prefix, string Name, string Version);

    /// <summary>
    /// 'model push' and 'model package-sagemaker': the same options, request, S3 client, progress and pin output; only
    /// what is uploaded differs.
    /// </summary>
    private static Command UploadCommand(
        string commandName,
        string description,
        UploadTexts texts,
        Func<FileInfo, string> progressLabel,
        Func<Amazon.S3.IAmazonS3, PushRequest, IProgress<long>?, CancellationToken, Task<PushResult>> upload)
    {
        var weights = new Option<FileInfo>("--weights") { Description = texts.Weights, Required = true };
        var manifest = new Option<FileInfo>("--manifest") { Description = texts.Manifest, Required = true };
        var bucket = new Option<string>("--bucket") { Description = texts.Bucket, Required = true };
        var prefix = new Option<string?>("--prefix") { Description = texts.Prefix };
        var name = new Option<string?>("--name") { Description = texts.Name };
        var version = new Option<string?>("--version") { Description = texts.Version };
        var endpoint = new Option<string?>("--endpoint") { Description = "S3 endpoint override (tests); default S3__ServiceUrl, else AWS." };
        var json = CliOutput.JsonOption();
        var command = new Command(commandName, description)
        {
            weights, manifest, bucket, prefix, name, version, endpoint, json,
        };

        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new S3Options { ServiceUrl = result.GetValue(endpoint) ?? Environment.GetEnvironmentVariable("S3__ServiceUrl") };
            using var s3 = options.CreateClient(sdkRetries: true);
            var file = result.GetValue(weights)!;
            var request = new PushRequest(file.FullName, result.GetValue(manifest)!.FullName, result.GetValue(bucket)!, result.GetValue(prefix), result.GetValue(name), result.GetValue(version));
            var uploaded = await TransferProgress.RunAsync(
                result,
                result.GetValue(json),
                progressLabel(file),
                file.Exists ? file.Length : 0,
                progress => upload(s3, request, progress, cancellationToken)).ConfigureAwait(false);
            PinOutput.Write(CliOutput.Out(result), uploaded.Pin, result.GetValue(json));
            return CliOutput.Success;
        });
        return command;
    }

    private static void WriteReport(ParseResult result, ModelCheckReport report)
    {
        var output = CliOutput.Out(result);
        if (report.Model is { } facts)
        {
            ModelFactsOutput.Write(result, facts);
            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Loaded in {report.LoadMs:0} ms; one image through the full pipeline in {report.RunMs:0.0} ms."));
        }

        foreach (var check in report.Golden?.Checks ?? [])
        {
            output.WriteLine($"golden {check.Image}: {(check.Passed ? $"passed ({check.Detections.Count} detections)" : "FAILED")}");
        }

        foreach (var warning in report.Warnings)
        {
            output.WriteLine($"warning: {warning}");
        }

        if (report.Passed)
        {
            output.WriteLine("Valid: the service would load and serve this model.");
        }
    }

    private static string[] ReadClasses(string path)
    {
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return names.Length > 0 ? names : throw CliException.Usage($"'{path}' lists no class names (one per line).");
    }

    internal static (int? Width, int? Height) ParseSize(string? text)
    {
        if (text is null)
        {
            return (null, null);
        }

        var parts = text.Split('x', 'X', '×');
        return parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 0).ToArray() switch
        {
            [> 0 and var side] => (side, side),
            [> 0 and var w, > 0 and var h] => (w, h),
            _ => throw CliException.Usage($"--input-size takes N or WIDTHxHEIGHT, positive whole numbers (got '{text}')."),
        };
    }

    internal static OutputFormat ParseFormat(string text) =>
        ManifestEnums.TryParse<OutputFormat>(text, out var format)
            ? format
            : throw CliException.Usage($"--format must be one of {string.Join(", ", ManifestEnums.Names(typeof(OutputFormat)))} (got '{text}').");
}
