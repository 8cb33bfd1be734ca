using System.Buffers.Binary;

namespace Inference.Core.Imaging.Formats;

/// <summary>The few tags of a TIFF structure's first directory that decoding needs.</summary>
/// <param name="DataEnd">The end of the last strip or tile, as the offset and byte-count tables declare it (0 without them).</param>
internal readonly record struct TiffTags(int Width, int Height, ImageOrientation Orientation, long DataEnd = 0);

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
    private const ushort StripOffsets = 273;
    private const ushort StripByteCounts = 279;
    private const ushort TileOffsets = 324;
    private const ushort TileByteCounts = 325;
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
        int offsets = -1, counts = -1;
        for (var i = 0; i < entries; i++)
        {
            var entry = tiff.Slice(start + 2 + (12 * i), 12);
            var tag = ReadUInt16(entry, littleEndian);
            var type = ReadUInt16(entry[2..], littleEndian);
            if (tag is StripOffsets or TileOffsets)
            {
                offsets = start + 2 + (12 * i);
            }
            else if (tag is StripByteCounts or TileByteCounts)
            {
                counts = start + 2 + (12 * i);
            }

            if (ReadUInt32(entry[4..], littleEndian) != 1 || type is not (TypeShort or TypeLong))
            {
                continue;
            }

            var value = type == TypeShort ? ReadUInt16(entry[8..], littleEndian) : ReadUInt32(entry[8..], littleEndian);
            switch (tag)
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

        tags = new TiffTags(width, height, orientation, offsets >= 0 && counts >= 0 ? DataEnd(tiff, offsets, counts, littleEndian) : 0);
        return true;
    }

    /// <summary>The largest offset + byte count over the strip (or tile) tables; long.MaxValue when a table is unreadable.</summary>
    private static long DataEnd(ReadOnlySpan<byte> tiff, int offsetsEntry, int countsEntry, bool littleEndian)
    {
        var (offsetType, offsetCount, offsetValues) = Table(tiff, offsetsEntry, littleEndian);
        var (countType, countCount, countValues) = Table(tiff, countsEntry, littleEndian);
        if (offsetCount != countCount || offsetValues < 0 || countValues < 0)
        {
            return long.MaxValue;
        }

        long end = 0;
        for (var i = 0; i < offsetCount; i++)
        {
            end = Math.Max(end, Element(tiff, offsetValues, offsetType, i, littleEndian) + Element(tiff, countValues, countType, i, littleEndian));
        }

        return end;
    }

    /// <summary>A SHORT or LONG table: its type, length, and where its values are (inline, or at the offset the entry holds).</summary>
    private static (ushort Type, int Count, int Values) Table(ReadOnlySpan<byte> tiff, int entry, bool littleEndian)
    {
        var type = ReadUInt16(tiff[(entry + 2)..], littleEndian);
        var count = ReadUInt32(tiff[(entry + 4)..], littleEndian);
        var size = type == TypeShort ? 2 : 4;
        if (type is not (TypeShort or TypeLong) || count == 0 || count > (uint)tiff.Length / (uint)size)
        {
            return (type, 0, -1);
        }

        var values = count * size <= 4 ? (uint)entry + 8 : ReadUInt32(tiff[(entry + 8)..], littleEndian);
        return values + (count * size) <= (uint)tiff.Length ? (type, (int)count, (int)values) : (type, (int)count, -1);
    }

    private static long Element(ReadOnlySpan<byte> tiff, int values, ushort type, int index, bool littleEndian) =>
        type == TypeShort ? ReadUInt16(tiff[(values + (2 * index))..], littleEndian) : ReadUInt32(tiff[(values + (4 * index))..], littleEndian);

    private static ushort ReadUInt16(ReadOnlySpan<byte> data, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(data) : BinaryPrimitives.ReadUInt16BigEndian(data);

    private static uint ReadUInt32(ReadOnlySpan<byte> data, bool littleEndian) =>
        littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(data) : BinaryPrimitives.ReadUInt32BigEndian(data);
}
