using Inference.Core.Imaging.Formats;

namespace Inference.Core.Imaging.Codecs;

/// <summary>
/// The size one decode produces and the memory it needs. The same arithmetic answers
/// <see cref="ImageDecoder.Probe"/> and drives <see cref="ImageDecoder.Decode"/>, so admission and decode agree.
/// </summary>
/// <param name="Eighths">libjpeg-turbo's DCT scale, 1 (1/8) to 8 (full size); 8 for every format but JPEG.</param>
internal readonly record struct DecodePlan(int Eighths, int StoredWidth, int StoredHeight, int Width, int Height, long Bytes)
{
    public const int BytesPerPixel = 4;

    public static DecodePlan For(ImageHeader header, ImageTarget target)
    {
        var eighths = header.DctScalable ? SmallestCoveringEighths(header, target) : 8;
        var (storedWidth, storedHeight) = Scaled(header.Width, header.Height, eighths);
        var (width, height) = header.Orientation.SwapsAxes() ? (storedHeight, storedWidth) : (storedWidth, storedHeight);
        var pixels = (long)storedWidth * storedHeight * BytesPerPixel;

        // Turning the image needs the stored and the upright copy at once.
        var bytes = pixels + (header.Orientation == ImageOrientation.TopLeft ? 0 : pixels) + header.CodecWorkingBytes;
        return new DecodePlan(eighths, storedWidth, storedHeight, width, height, bytes);
    }

    /// <summary>libjpeg-turbo's scaled size: ceil(side × eighths / 8), as jpeg_calc_output_dimensions computes it.</summary>
    public static (int Width, int Height) Scaled(int width, int height, int eighths) =>
        eighths == 8 ? (width, height) : ((int)(((long)width * eighths + 7) / 8), (int)(((long)height * eighths + 7) / 8));

    /// <summary>
    /// The smallest eighth whose result still covers the letterbox content, so the resize into the model input
    /// only ever shrinks: a 4032×3024 photo for a 416 px model decodes at 1/8 (504×378).
    /// </summary>
    private static int SmallestCoveringEighths(ImageHeader header, ImageTarget target)
    {
        if (target.IsFull)
        {
            return 8;
        }

        var (width, height) = header.Oriented;
        var content = LetterboxTransform.Compute(width, height, target.Width, target.Height, Model.LetterboxAnchor.TopLeft);
        for (var eighths = 1; eighths < 8; eighths++)
        {
            var (scaledWidth, scaledHeight) = Scaled(width, height, eighths);
            if (scaledWidth >= content.ContentWidth && scaledHeight >= content.ContentHeight)
            {
                return eighths;
            }
        }

        return 8;
    }
}
