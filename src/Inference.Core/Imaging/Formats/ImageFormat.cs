namespace Inference.Core.Imaging.Formats;

/// <summary>The containers this service decodes.</summary>
internal enum ImageFormat
{
    Jpeg,
    Png,
    Gif,
    WebP,
    Bmp,
    Tiff,
}

internal static class ImageFormatNames
{
    /// <summary>The name reported in <see cref="DecodedImage.Format"/>, telemetry and problem details.</summary>
    public static string Name(this ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "JPEG",
        ImageFormat.Png => "PNG",
        ImageFormat.Gif => "GIF",
        ImageFormat.WebP => "WEBP",
        ImageFormat.Bmp => "BMP",
        _ => "TIFF",
    };
}
