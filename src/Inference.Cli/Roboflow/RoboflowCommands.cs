using System.CommandLine;
using Inference.Cli.Models;
using Inference.Cli.Registry;

namespace Inference.Cli.Roboflow;

/// <summary><c>inference roboflow import</c>: a Roboflow export in, a dataset version and a pinned model version out.</summary>
internal static class RoboflowCommands
{
    public static Command Create()
    {
        var globals = new RegistryGlobals();
        var roboflow = new Command("roboflow", "Roboflow exports.");
        globals.AddTo(roboflow);

        var export = new Option<string>("--export") { Required = true, Description = "The export: a folder or a zip in Roboflow's YOLOv8 layout." };
        var modelName = new Option<string>("--model-name") { Required = true };
        var weights = new Option<FileInfo?>("--weights") { Description = "The ONNX weights; default the .onnx file in the export." };
        var datasetName = new Option<string?>("--dataset-name") { Description = "Default: the Roboflow project." };
        var bucket = new Option<string>("--bucket") { Required = true, Description = "A versioned bucket for the weights and manifest." };
        var prefix = new Option<string?>("--prefix") { Description = "Key prefix; default models/<model name>/." };
        var training = new TrainingOptions(defaultSource: "roboflow");
        var import = new Command("import", "Register the export's dataset version (if new), push the weights with a manifest, register the model, and print the pin.")
        {
            export, modelName, weights, datasetName, bucket, prefix,
        };
        training.AddTo(import);
        import.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var s3Options = globals.S3(result);
            using var s3 = s3Options.CreateClient(sdkRetries: true);
            try
            {
                var imported = await new RoboflowImporter(registry, s3, s3Options).ImportAsync(
                    new ImportRequest(result.GetValue(export)!, result.GetValue(modelName)!, result.GetValue(bucket)!, result.GetValue(prefix), result.GetValue(weights)?.FullName, result.GetValue(datasetName)),
                    training.Read(result),
                    result.GetValue(globals.Actor)!,
                    cancellationToken).ConfigureAwait(false);
                if (result.GetValue(globals.Json))
                {
                    CliOutput.WriteJson(result, new { dataset = imported.Dataset, datasetIsNew = imported.DatasetIsNew, model = imported.Model, pin = imported.Pin, environment = imported.Pin.Environment });
                    return CliOutput.Success;
                }

                var output = CliOutput.Out(result);
                output.WriteLine($"Dataset {imported.Dataset.Name}@{imported.Dataset.Version} ({(imported.DatasetIsNew ? "registered" : "already registered")}): {string.Join(" ", imported.Dataset.ImageCounts.Select(c => $"{c.Key}={c.Value}"))}");
                output.WriteLine($"Model {imported.Model.Reference} registered");
                PinOutput.Write(output, imported.Pin, json: false);
                return CliOutput.Success;
            }
            catch (BucketNotVersionedException ex)
            {
                return CliOutput.Fail(result, ex.Message, CliOutput.Refused);
            }
        }, cancellationToken));
        roboflow.Subcommands.Add(import);
        return roboflow;
    }
}
