using SkiaSharp;

namespace Inference.Core.Rendering;

/// <summary>
/// The typeface labels are drawn with: DejaVu Sans Bold, embedded in this assembly. A container has no fontconfig
/// and no fonts, and there Skia's default typeface silently draws nothing; a loaded TTF always draws.
/// Licence: Bitstream Vera (Fonts/LICENSE-DejaVu.txt).
/// </summary>
public static class LabelTypeface
{
    public const string ResourceName = "Inference.Core.Rendering.Fonts.DejaVuSans-Bold.ttf";

    private static readonly Lazy<SKTypeface> Loaded = new(Load);

    public static SKTypeface Typeface => Loaded.Value;

    private static SKTypeface Load()
    {
        using var stream = typeof(LabelTypeface).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The label font {ResourceName} is not embedded in {typeof(LabelTypeface).Assembly.GetName().Name}.");
        return SKTypeface.FromStream(stream)
            ?? throw new InvalidOperationException($"The embedded label font {ResourceName} could not be loaded.");
    }
}
