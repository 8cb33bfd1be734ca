namespace Inference.Core.Imaging;

/// <summary>The EXIF/TIFF orientation tag (274): how stored pixels must be turned to be upright.</summary>
public enum ImageOrientation
{
    /// <summary>Stored upright (also used for a missing or out-of-range tag, as PIL's exif_transpose does).</summary>
    TopLeft = 1,
    TopRight = 2,
    BottomRight = 3,
    BottomLeft = 4,
    LeftTop = 5,
    RightTop = 6,
    RightBottom = 7,
    LeftBottom = 8,
}

internal static class ImageOrientations
{
    /// <summary>The four orientations (5–8) that turn the image a quarter, so upright width and height swap.</summary>
    public static bool SwapsAxes(this ImageOrientation orientation) => orientation >= ImageOrientation.LeftTop;
}
