using System.Text.Json;

namespace Inference.Cli.Models;

internal static class PinOutput
{
    public static void Write(TextWriter output, ModelPin pin, bool json)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { pin.Model, pin.Weights, pin.Manifest, pin.Environment }, CliOutput.Json));
            return;
        }

        output.WriteLine($"Pushed {pin.Model.Name} {pin.Model.Version}");
        output.WriteLine($"  weights   {pin.Weights.Uri} (version {pin.Weights.VersionId}, {pin.Weights.Size} bytes)");
        output.WriteLine($"  sha256    {pin.Weights.Sha256}");
        output.WriteLine($"  manifest  {pin.Manifest.Uri} (version {pin.Manifest.VersionId})");
        output.WriteLine();
        output.WriteLine("Environment for the service or the task definition:");
        foreach (var (name, value) in pin.Environment)
        {
            output.WriteLine($"{name}={value}");
        }
    }
}
