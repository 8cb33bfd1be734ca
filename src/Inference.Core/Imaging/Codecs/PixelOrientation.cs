namespace Inference.Core.Imaging.Codecs;

/// <summary>
/// Applies an EXIF orientation to 4-byte pixels. Skia reads the tag but, like every codec here, leaves the
/// pixels as stored; PIL's exif_transpose is the reference for what "upright" means.
/// </summary>
internal static class PixelOrientation
{
    /// <summary>
    /// Writes the upright image of a <paramref name="width"/>×<paramref name="height"/> stored image into
    /// <paramref name="destination"/>, which is height×width when the orientation turns the image a quarter.
    /// </summary>
    public static void Apply(ReadOnlySpan<uint> source, int width, int height, ImageOrientation orientation, Span<uint> destination)
    {
        switch (orientation)
        {
            case ImageOrientation.TopRight:
                for (var y = 0; y < height; y++)
                {
                    var row = destination.Slice(y * width, width);
                    source.Slice(y * width, width).CopyTo(row);
                    row.Reverse();
                }

                break;
            case ImageOrientation.BottomRight:
                source[..(width * height)].CopyTo(destination);
                destination[..(width * height)].Reverse();
                break;
            case ImageOrientation.BottomLeft:
                for (var y = 0; y < height; y++)
                {
                    source.Slice((height - 1 - y) * width, width).CopyTo(destination.Slice(y * width, width));
                }

                break;
            case ImageOrientation.LeftTop or ImageOrientation.RightTop or ImageOrientation.RightBottom or ImageOrientation.LeftBottom:
                Turn(source, width, height, orientation, destination);
                break;
            default:
                source[..(width * height)].CopyTo(destination);
                break;
        }
    }

    /// <summary>
    /// The four orientations that swap axes. Upright pixel (x, y) of the height×width result comes from stored
    /// column y (or width-1-y) and stored row x (or height-1-x).
    /// </summary>
    private static void Turn(ReadOnlySpan<uint> source, int width, int height, ImageOrientation orientation, Span<uint> destination)
    {
        var flipColumn = orientation is ImageOrientation.RightBottom or ImageOrientation.LeftBottom;
        var flipRow = orientation is ImageOrientation.RightTop or ImageOrientation.RightBottom;
        var uprightWidth = height;
        for (var y = 0; y < width; y++)
        {
            var column = flipColumn ? width - 1 - y : y;
            var row = destination.Slice(y * uprightWidth, uprightWidth);
            for (var x = 0; x < uprightWidth; x++)
            {
                var storedRow = flipRow ? height - 1 - x : x;
                row[x] = source[(storedRow * width) + column];
            }
        }
    }
}
