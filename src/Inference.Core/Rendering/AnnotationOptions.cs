namespace Inference.Core.Rendering;

/// <summary>The encoded formats an annotated image can come back in.</summary>
public enum AnnotatedFormat
{
    Jpeg,
    Png,
}

/// <summary>
/// How to draw detections onto the original image: the output format (<see langword="null"/>: as the source, see
/// <see cref="FormatFor"/>), whether boxes carry a "class 0.87" label, and
/// the box line width in pixels (<see langword="null"/>: scaled to the image, so a 300 px thumbnail and a 4000 px photo
/// both show it).
/// </summary>
public sealed record AnnotationOptions(AnnotatedFormat? Format = null, bool Labels = true, int? Stroke = null)
{
    public const int MaxStroke = 64;

    /// <summary>JPEG quality: high enough that thin lines and label text keep crisp edges.</summary>
    public const int JpegQuality = 90;

    public static string ContentType(AnnotatedFormat format) => format == AnnotatedFormat.Png ? "image/png" : "image/jpeg";

    /// <summary>
    /// The format asked for, or else the source's own: a JPEG stays a JPEG (a photo), and everything else, mostly
    /// lossless (PNG, GIF, BMP, TIFF), becomes a PNG so nothing is lost that was not lost before.
    /// </summary>
    public AnnotatedFormat FormatFor(string sourceFormat) =>
        Format ?? (string.Equals(sourceFormat, "JPEG", StringComparison.Ordinal) ? AnnotatedFormat.Jpeg : AnnotatedFormat.Png);
}
