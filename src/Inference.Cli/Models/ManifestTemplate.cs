using Inference.Core.Model;

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
        var input = facts.Input;
        return new ModelManifest
        {
            Schema = schema,
            Name = draft.Name,
            Version = draft.Version,
            Format = ManifestEnums.TryParse<OutputFormat>(facts.Format, out var format) ? format : null,
            Input = new ModelInput
            {
                Width = input.Width,
                Height = input.Height,
                ChannelOrder = input.ChannelOrder,
                PixelScale = input.PixelScale,
                Anchor = input.Anchor,
                PadValue = input.PadValue,
            },
            Classes = namesKnown ? facts.Classes : null,
            Weights = weights.Replace('\\', '/'),
            Postprocess = new PostprocessDefaults(),
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
