using System.Buffers.Binary;

namespace Inference.Testing.Hostile;

/// <summary>Edits a JPEG's marker segments (the ones before its first scan) for hostile and edge-case images.</summary>
public static class JpegSegments
{
    public static byte[] Segment(byte marker, ReadOnlySpan<byte> payload)
    {
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment.AsSpan(4));
        return segment;
    }

    /// <summary>Offset of the first segment with <paramref name="marker"/> before the first scan, or of that scan.</summary>
    public static int Find(byte[] jpeg, byte marker)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        for (var position = 2; position + 4 <= jpeg.Length;)
        {
            if (jpeg[position + 1] == marker || jpeg[position + 1] == 0xDA)
            {
                return position;
            }

            position += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(position + 2));
        }

        throw new ArgumentException("The JPEG has no scan.", nameof(jpeg));
    }

    /// <summary>The JPEG with <paramref name="segments"/> inserted just before the first segment with <paramref name="marker"/>.</summary>
    public static byte[] InsertBefore(byte[] jpeg, byte marker, IEnumerable<byte[]> segments)
    {
        var at = Find(jpeg, marker);
        return [.. jpeg.AsSpan(0, at), .. segments.SelectMany(s => s), .. jpeg.AsSpan(at)];
    }

    /// <summary>The JPEG with its frame header declaring another size.</summary>
    public static byte[] WithDeclaredSize(byte[] jpeg, ushort width, ushort height)
    {
        var copy = (byte[])jpeg.Clone();
        var frame = Find(copy, 0xC0);
        if (copy[frame + 1] is not (0xC0 or 0xC1 or 0xC2))
        {
            frame = Find(copy, 0xC2);
        }

        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(frame + 5), height);
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(frame + 7), width);
        return copy;
    }

    /// <summary>An APP1 EXIF segment holding only the orientation tag, as a camera writes it (big-endian TIFF).</summary>
    public static byte[] ExifOrientation(ushort orientation)
    {
        byte[] tiff = [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, 0, 0, 0, 0];
        return Segment(0xE1, [.. "Exif\0\0"u8, .. tiff]);
    }

    /// <summary>The JPEG with an EXIF orientation segment right after its start-of-image marker.</summary>
    public static byte[] WithOrientation(byte[] jpeg, ushort orientation)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        return [.. jpeg.AsSpan(0, 2), .. ExifOrientation(orientation), .. jpeg.AsSpan(2)];
    }
}
