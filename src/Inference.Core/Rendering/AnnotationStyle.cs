namespace Inference.Core.Rendering;

/// <summary>
/// Line width and label size for an image, from its shorter side: a fixed size in pixels would be a hairline on a
/// 4000 px photo and cover a 300 px thumbnail. Labels never go below 12 px, the smallest size that stays legible.
/// </summary>
public readonly record struct AnnotationStyle(int Stroke, float FontSize, float Padding)
{
    public const float MinFontSize = 12;

    public static AnnotationStyle For(int width, int height, int? stroke = null)
    {
        var side = Math.Min(width, height);
        var fontSize = Math.Clamp(side * 0.022f, MinFontSize, 120);
        var line = stroke ?? Math.Clamp((int)MathF.Round(side / 320f), 2, 24);
        return new AnnotationStyle(line, fontSize, MathF.Max(2, MathF.Round(fontSize * 0.2f)));
    }
}
