using System.CommandLine;
using Inference.Cli.Models;
using Inference.Cli.Progress;
using Inference.Cli.Registry;
using Inference.Core.Model;

namespace Inference.Cli.Roboflow;

/// <summary><c>inference roboflow import</c>: a Roboflow export in, a dataset version and a pinned model version out.</summary>
internal static class RoboflowCommands
{
    public static Command Create()
    {
        var globals = new RegistryGlobals();
        var roboflow = new Command("roboflow", "Roboflow exports: import a dataset version and its trained weights into the registry.");
        globals.AddTo(roboflow);

        var export = new Option<string>("--export") { Required = true, Description = "The export: a folder or a zip in Roboflow's YOLOv8 layout (data.yaml, train/valid/test)." };
        var modelName = new Option<string>("--model-name") { Required = true, Description = "The model's name in the registry and the service." };
        var weights = new Option<FileInfo?>("--weights") { Description = "The ONNX weights; default the .onnx file in the export (best.onnx first)." };
        var datasetName = new Option<string?>("--dataset-name") { Description = "Default: the Roboflow project." };
        var bucket = new Option<string>("--bucket") { Required = true, Description = "A versioned bucket for the weights and manifest." };
        var prefix = new Option<string?>("--prefix") { Description = "Key prefix; default models/<model name>/." };
        var format = new Option<string?>("--format") { Description = $"The weights' output layout, when detection from the output shape is not wanted: {string.Join("|", ManifestEnums.Names(typeof(OutputFormat)))}." };
        var size = new Option<string?>("--input-size") { Description = "The input size as N or WIDTHxHEIGHT; needed only for a dynamic export without imgsz metadata." };
        var training = new TrainingOptions(defaultSource: "roboflow");
        var import = new Command(
            "import",
            "Register the export's dataset version (if new), validate the weights as the service would, push them with a manifest, register the model, and print the pin. " +
            "The same weights imported again return the version they already are.")
        {
            export, modelName, weights, datasetName, bucket, prefix, format, size,
        };
        training.AddTo(import);
        import.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var s3Options = globals.S3(result);
            using var s3 = s3Options.CreateClient(sdkRetries: true);
            var (width, height) = ModelCommands.ParseSize(result.GetValue(size));
            var request = new ImportRequest(
                result.GetValue(export)!,
                result.GetValue(modelName)!,
                result.GetValue(bucket)!,
                result.GetValue(prefix),
                result.GetValue(weights)?.FullName,
                result.GetValue(datasetName),
                result.GetValue(format) is { } f ? ModelCommands.ParseFormat(f) : null,
                width,
                height);
            var json = result.GetValue(globals.Json);
            var imported = await TransferProgress.RunAsync(
                result,
                json,
                "Uploading the weights",
                result.GetValue(weights)?.Length ?? 0,
                progress => new RoboflowImporter(registry, s3).ImportAsync(request, training.Read(result), result.GetValue(globals.Actor)!, progress, cancellationToken)).ConfigureAwait(false);
            if (json)
            {
                CliOutput.WriteJson(result, new
                {
                    dataset = imported.Dataset,
                    datasetIsNew = imported.DatasetIsNew,
                    model = imported.Model,
                    modelIsNew = imported.ModelIsNew,
                    pin = imported.Pin,
                    environment = imported.Pin.Environment,
                });
                return CliOutput.Success;
            }

            var output = CliOutput.Out(result);
            output.WriteLine($"Dataset {imported.Dataset.Name}@{imported.Dataset.Version} ({(imported.DatasetIsNew ? "registered" : "already registered")}): {string.Join(" ", imported.Dataset.ImageCounts.Select(c => $"{c.Key}={c.Value}"))}");
            output.WriteLine(imported.ModelIsNew
                ? $"Model {imported.Model.Reference} registered ({imported.Model.Artifact.Format}, {imported.Model.Artifact.Classes.Count} classes)"
                : $"Model {imported.Model.Reference} already holds these weights (sha256 {imported.Pin.Weights.Sha256}); nothing was written");
            PinOutput.Write(output, imported.Pin, json: false);
            return CliOutput.Success;
        }, cancellationToken));
        roboflow.Subcommands.Add(import);
        return roboflow;
    }
}
