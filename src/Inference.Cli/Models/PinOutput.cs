using System.Text.Json;

namespace Inference.Cli.Models;

internal static class PinOutput
{
    public static void Write(TextWriter output, ModelPin pin, bool json)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { pin.Model, pin.Weights, pin.Manifest, pin.Sagemaker, pin.Environment }, CliOutput.Json));
            return;
        }

        output.WriteLine($"Pushed {pin.Model.Name} {pin.Model.Version}");
        output.WriteLine($"  weights   {pin.Weights.Uri} (version {pin.Weights.VersionId}, {pin.Weights.Size} bytes)");
        output.WriteLine($"  sha256    {pin.Weights.Sha256}");
        output.WriteLine($"  manifest  {pin.Manifest.Uri} (version {pin.Manifest.VersionId})");
        if (pin.Sagemaker is { } package)
        {
            output.WriteLine($"  sagemaker {package.Uri} (version {package.VersionId}, {package.Size} bytes, sha256 {package.Sha256})");
        }

        output.WriteLine();
        output.WriteLine("Environment for the service or the task definition:");
        foreach (var (name, value) in pin.Environment)
        {
            output.WriteLine($"{name}={value}");
        }

        if (pin.Sagemaker is { } sagemaker)
        {
            output.WriteLine();
            output.WriteLine("The SageMaker model's data (CreateModel, deploy/sagemaker/endpoint.yaml):");
            output.WriteLine($"ModelDataUrl={sagemaker.Uri}");
        }
    }
}
