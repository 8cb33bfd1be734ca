using System.Buffers.Binary;

namespace Inference.Core.Imaging.Formats;

/// <summary>The few tags of a TIFF structure's first directory that decoding needs.</summary>
internal readonly record struct TiffTags(int Width, int Height, ImageOrientation Orientation);

/// <summary>
/// Reads the first image file directory of a TIFF structure: a TIFF file, or the EXIF block of a JPEG (APP1),
/// PNG (eXIf) or WebP (EXIF chunk), which are TIFF structures too. Bounded: every offset is checked against the
/// block, and at most <see cref="MaxEntries"/> entries are read.
/// </summary>
internal static class TiffDirectory
{
    private const int MaxEntries = 1024;
    private const ushort ImageWidth = 256;
    private const ushort ImageLength = 257;
    private const ushort Orientation = 274;
    private const ushort TypeShort = 3;
    private const ushort TypeLong = 4;

    /// <summary>Reads an EXIF block, with or without the "Exif\0\0" prefix some writers put before the TIFF header.</summary>
    public static ImageOrientation ReadExifOrientation(ReadOnlySpan<byte> exif)
    {
        if (exif.StartsWith("Exif\0\0"u8))
        {
            exif = exif[6..];
        }

        return TryRead(exif, out var tags) ? tags.Orientation : ImageOrientation.TopLeft;
    }

    public static bool TryRead(ReadOnlySpan<byte> tiff, out TiffTags tags)
    {
        tags = new TiffTags(0, 0, ImageOrientation.TopLeft);
        if (tiff.Length < 8)
        {
            return false;
        }

        bool littleEndian;
        if (tiff[0] == 'I' && tiff[1] == 'I')
        {
            littleEndian = true;
        }
        else if (tiff[0] == 'M' && tiff[1] == 'M')
        {
            littleEndian = false;
        }
        else
        {
            return false;
        }

        if (ReadUInt16(tiff[2..], littleEndian) != 42)
        {
            return false;
        }

        var directory = ReadUInt32(tiff[4..], littleEndian);
        if (directory < 8 || directory > (uint)tiff.Length - 2)
        {
            return false;
        }

        var start = (int)directory;
        var declared = ReadUInt16(tiff[start..], littleEndian);
        var entries = Math.Min(Math.Min(declared, (tiff.Length - start - 2) / 12), MaxEntries);
        int width = 0, height = 0;
        var orientation = ImageOrientation.TopLeft;
        for (var i = 0; i < entries; i++)
        {
            var entry = tiff.Slice(start + 2 + (12 * i), 12);
            var type = ReadUInt16(entry[2..], littleEndian);
            if (ReadUInt32(entry[4..], littleEndian) != 1 || type is not (TypeShort or TypeLong))
            {
                continue;
            }

            var value = type == TypeShort ? ReadUInt16(entry[8..], littleEndian) : ReadUInt32(entry[8..], littleEndian);
            switch (ReadUInt16(entry, littleEndian))
            {
                case ImageWidth:
                    width = (int)Math.Min(value, int.MaxValue);
                    break;
                case ImageLength:
                    height = (int)Math.Min(value, int.MaxValue);
                    break;
                case Orientation when value is >= 1 and <= 8:
                    orientation = (ImageOrientation)value;
                    break;
                default:
                    break;
            }
        }

        tags = new TiffTags(width, height, orientation);
        return true;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> data, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(data) : BinaryPrimitives.ReadUInt16BigEndian(data);

    private static uint ReadUInt32(ReadOnlySpan<byte> data, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(data) : BinaryPrimitives.ReadUInt32BigEndian(data);
}
