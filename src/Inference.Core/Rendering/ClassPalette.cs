using SkiaSharp;

namespace Inference.Core.Rendering;

/// <summary>
/// One colour per class id, the same on every request and every model with the same classes, so "person is orange"
/// holds across images. Twenty saturated colours far apart in hue and lightness; ids beyond repeat them.
/// </summary>
public static class ClassPalette
{
    private static readonly SKColor[] Colors =
    [
        new(0xFF, 0x38, 0x38), new(0x00, 0x9D, 0xFF), new(0x2C, 0xC8, 0x4B), new(0xFF, 0xB2, 0x1D),
        new(0xCF, 0x3C, 0xE8), new(0x00, 0xC2, 0xB8), new(0xFF, 0x70, 0x1F), new(0x6B, 0x4D, 0xFF),
        new(0x92, 0xCC, 0x17), new(0xFF, 0x37, 0xC7), new(0x1A, 0x93, 0x34), new(0x34, 0x45, 0xC9),
        new(0xFF, 0x9D, 0x97), new(0x00, 0xD4, 0xFF), new(0xA6, 0x5D, 0x1E), new(0x7E, 0xDE, 0x9A),
        new(0x84, 0x38, 0xFF), new(0xC8, 0x2A, 0x5E), new(0x52, 0x73, 0x8A), new(0xE7, 0xD6, 0x1B),
    ];

    public static int Count => Colors.Length;

    public static SKColor For(int classId) => Colors[(int)((uint)classId % (uint)Colors.Length)];

    /// <summary>Black or white, whichever reads better on <paramref name="background"/> (WCAG relative luminance).</summary>
    public static SKColor TextOn(SKColor background)
    {
        static double Linear(byte c)
        {
            var v = c / 255.0;
            return v <= 0.03928 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
        }

        var luminance = (0.2126 * Linear(background.Red)) + (0.7152 * Linear(background.Green)) + (0.0722 * Linear(background.Blue));
        // Contrast against black is (L + 0.05) / 0.05 and against white 1.05 / (L + 0.05): equal at L ≈ 0.179.
        return luminance > 0.179 ? SKColors.Black : SKColors.White;
    }
}
