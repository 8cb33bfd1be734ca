namespace Inference.Core.Imaging.Formats;

/// <summary>Reads a TIFF's first directory for its size and orientation, without ImageSharp.</summary>
internal static class TiffStructure
{
    public static ImageHeader Read(ReadOnlySpan<byte> data, ImageLimits limits)
    {
        if (!TiffDirectory.TryRead(data, out var tags))
        {
            throw new ImageDecodeException(ImageFailureReason.Corrupt, "The TIFF is corrupt: its first directory cannot be read.");
        }

        if (tags.Width <= 0 || tags.Height <= 0)
        {
            throw new ImageDecodeException(ImageFailureReason.Corrupt, $"The TIFF declares an empty image ({tags.Width}×{tags.Height}).");
        }

        limits.EnsureWithin(tags.Width, tags.Height);

        // ImageSharp fills strips that are missing with zeros and reports success; a cut file must not pass.
        if (tags.DataEnd > data.Length && !limits.AllowPartialImages)
        {
            throw new ImageDecodeException(
                ImageFailureReason.Corrupt,
                $"The TIFF is truncated: its strips end at byte {(tags.DataEnd == long.MaxValue ? "(unreadable)" : tags.DataEnd)} and {data.Length} bytes arrived.");
        }

        // ImageSharp builds the whole image, then it is copied into our pixels; strips come and go on the way.
        return new ImageHeader
        {
            Format = ImageFormat.Tiff,
            Width = tags.Width,
            Height = tags.Height,
            Orientation = tags.Orientation,
            CodecWorkingBytes = 8L * tags.Width * tags.Height,
        };
    }
}
