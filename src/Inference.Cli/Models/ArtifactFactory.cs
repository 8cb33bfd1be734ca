using System.Text;
using Inference.Core.Model;
using Inference.Core.Sources;
using Inference.Registry.Models;

namespace Inference.Cli.Models;

/// <summary>Builds the registry's artifact from a pin, reading the facts (format, input, classes) from the pinned manifest itself.</summary>
internal static class ArtifactFactory
{
    public static async Task<ModelArtifact> FromPinAsync(ModelPin pin, S3Options options, CancellationToken cancellationToken)
    {
        if (!S3ObjectRef.TryParse(pin.Manifest.Uri, pin.Manifest.VersionId, out var manifestObject))
        {
            throw new ModelLoadException($"The manifest pin '{pin.Manifest.Uri}' is not an s3:// URI.");
        }

        using var s3 = options.CreateClient(sdkRetries: true);
        var json = Encoding.UTF8.GetString(await new S3ObjectFetcher(s3, options).ReadAsync(manifestObject, 1 << 20, cancellationToken).ConfigureAwait(false));
        var manifest = ModelManifest.Parse(json, source: manifestObject.ToString());
        return new ModelArtifact
        {
            Weights = new PinnedFile(pin.Weights.Uri, pin.Weights.VersionId, pin.Weights.Sha256, pin.Weights.Size),
            Manifest = new PinnedFile(pin.Manifest.Uri, pin.Manifest.VersionId),
            Format = manifest.Format is { } format ? OutputLayout.Name(format) : "auto",
            InputWidth = manifest.Input.Width,
            InputHeight = manifest.Input.Height,
            Classes = manifest.Classes ?? [],
        };
    }
}
