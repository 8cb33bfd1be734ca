using System.CommandLine;
using Inference.Core.Model;
using Inference.Core.Sources;

namespace Inference.Cli.Models;

/// <summary><c>inference model …</c>: verbs about model artifacts.</summary>
internal static class ModelCommands
{
    public static Command Create()
    {
        var model = new Command("model", "Model artifacts: push weights and manifests to S3 and print their pin.");
        model.Subcommands.Add(Push());
        return model;
    }

    private static Command Push()
    {
        var weights = new Option<FileInfo>("--weights") { Description = "The ONNX weights to upload.", Required = true };
        var manifest = new Option<FileInfo>("--manifest") { Description = "The model manifest; its golden images are uploaded too.", Required = true };
        var bucket = new Option<string>("--bucket") { Description = "A bucket with versioning enabled.", Required = true };
        var prefix = new Option<string?>("--prefix") { Description = "Key prefix; default models/<manifest name>/." };
        var endpoint = new Option<string?>("--endpoint") { Description = "S3 endpoint override (tests); default S3__ServiceUrl, else AWS." };
        var json = CliOutput.JsonOption();
        var command = new Command("push", "Upload weights, golden images and the manifest, and print the pin a service or task definition needs.")
        {
            weights, manifest, bucket, prefix, endpoint, json,
        };

        command.SetAction(async (result, cancellationToken) =>
        {
            try
            {
                var options = new S3Options { ServiceUrl = result.GetValue(endpoint) ?? Environment.GetEnvironmentVariable("S3__ServiceUrl") };
                using var s3 = options.CreateClient(sdkRetries: true);
                var pusher = new ModelPusher(s3);
                var pin = await pusher.PushAsync(
                    result.GetValue(weights)!.FullName,
                    result.GetValue(manifest)!.FullName,
                    result.GetValue(bucket)!,
                    result.GetValue(prefix),
                    cancellationToken);
                PinOutput.Write(CliOutput.Out(result), pin, result.GetValue(json));
                return CliOutput.Success;
            }
            catch (BucketNotVersionedException ex)
            {
                return CliOutput.Fail(result, ex.Message, CliOutput.Refused);
            }
            catch (Exception ex) when (ex is ModelLoadException or IOException or Amazon.Runtime.AmazonClientException or UnauthorizedAccessException)
            {
                return CliOutput.Fail(result, ex.Message);
            }
        });
        return command;
    }
}
