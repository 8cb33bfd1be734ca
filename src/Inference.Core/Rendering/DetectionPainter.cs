using System.Globalization;
using Inference.Core.Postprocessing;
using SkiaSharp;

namespace Inference.Core.Rendering;

/// <summary>
/// Paints boxes and labels on a canvas. Boxes are drawn without antialiasing, inside their edges (the line's outer
/// edge is the box edge), so the pixels on a box edge are exactly the class colour. Labels sit above the box, or
/// inside its top when there is no room above, and are painted after every box so no line crosses a label.
/// </summary>
internal static class DetectionPainter
{
    public static void Paint(SKCanvas canvas, int width, int height, IReadOnlyList<Detection> detections, AnnotationStyle style, bool labels)
    {
        // Highest confidence last, so its label is the one on top where labels overlap.
        var ordered = detections.OrderBy(d => d.Confidence).ToArray();
        using var line = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = style.Stroke, IsAntialias = false };
        foreach (var detection in ordered)
        {
            line.Color = ClassPalette.For(detection.ClassId);
            var inset = style.Stroke / 2f;
            var box = Clamp(detection.Box, width, height);
            if (box.Width <= 0 || box.Height <= 0)
            {
                continue;
            }

            canvas.DrawRect(new SKRect(box.X1 + inset, box.Y1 + inset, box.X2 - inset, box.Y2 - inset), line);
        }

        if (!labels)
        {
            return;
        }

        using var font = new SKFont(LabelTypeface.Typeface, style.FontSize) { Edging = SKFontEdging.Antialias, Subpixel = true };
        using var fill = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = false };
        using var text = new SKPaint { IsAntialias = true };
        var metrics = font.Metrics;
        var labelHeight = MathF.Ceiling(-metrics.Ascent + metrics.Descent + (2 * style.Padding));
        foreach (var detection in ordered)
        {
            var box = Clamp(detection.Box, width, height);
            var caption = Caption(detection);
            var labelWidth = MathF.Ceiling(font.MeasureText(caption) + (2 * style.Padding));
            var x = Math.Clamp(box.X1, 0, Math.Max(0, width - labelWidth));
            var y = box.Y1 - labelHeight >= 0 ? box.Y1 - labelHeight : Math.Min(box.Y1, Math.Max(0, height - labelHeight));
            var color = ClassPalette.For(detection.ClassId);
            fill.Color = color;
            canvas.DrawRect(new SKRect(x, y, x + labelWidth, y + labelHeight), fill);
            text.Color = ClassPalette.TextOn(color);
            canvas.DrawText(caption, x + style.Padding, y + style.Padding - metrics.Ascent, SKTextAlign.Left, font, text);
        }
    }

    public static string Caption(Detection detection) =>
        string.Create(CultureInfo.InvariantCulture, $"{detection.ClassName} {detection.Confidence:0.00}");

    private static BoundingBox Clamp(BoundingBox box, int width, int height) => new(
        Math.Clamp(MathF.Round(box.X1), 0, width),
        Math.Clamp(MathF.Round(box.Y1), 0, height),
        Math.Clamp(MathF.Round(box.X2), 0, width),
        Math.Clamp(MathF.Round(box.Y2), 0, height));
}
