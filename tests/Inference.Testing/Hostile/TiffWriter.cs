using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Testing.Hostile;

/// <summary>
/// Writes a baseline uncompressed RGB TIFF with an orientation tag in its first directory, where cameras and
/// scanners put it (ImageSharp 2's encoder writes no orientation at all).
/// </summary>
public static class TiffWriter
{
    /// <param name="rowsPerStrip">Rows per strip; real files keep strips near 8 KB, so a reader reads them one by one.</param>
    public static byte[] Write(Image<Rgb24> image, ushort orientation = 1, int rowsPerStrip = 8)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rowBytes = image.Width * 3;
        var strips = (image.Height + rowsPerStrip - 1) / rowsPerStrip;
        const int DirectoryEnd = 8 + 2 + (10 * 12) + 4;
        var bitsPerSample = DirectoryEnd;
        var offsets = bitsPerSample + 6;
        var counts = offsets + (4 * strips);
        var pixels = counts + (4 * strips);
        (ushort Tag, ushort Type, uint Count, uint Value)[] entries =
        [
            (256, 4, 1, (uint)image.Width),
            (257, 4, 1, (uint)image.Height),
            (258, 3, 3, (uint)bitsPerSample),
            (259, 3, 1, 1), // no compression
            (262, 3, 1, 2), // RGB
            (273, 4, (uint)strips, strips == 1 ? (uint)pixels : (uint)offsets),
            (274, 3, 1, orientation),
            (277, 3, 1, 3),
            (278, 4, 1, (uint)rowsPerStrip),
            (279, 4, (uint)strips, strips == 1 ? (uint)(rowBytes * image.Height) : (uint)counts),
        ];
        var tiff = new byte[pixels + (rowBytes * image.Height)];
        "II*\0"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), (ushort)entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = tiff.AsSpan(10 + (12 * i));
            BinaryPrimitives.WriteUInt16LittleEndian(entry, entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], entries[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], entries[i].Count);
            if (entries[i].Type == 3 && entries[i].Count == 1)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], (ushort)entries[i].Value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], entries[i].Value);
            }
        }

        for (var i = 0; i < 3; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(bitsPerSample + (2 * i)), 8);
        }

        for (var strip = 0; strip < strips; strip++)
        {
            var rows = Math.Min(rowsPerStrip, image.Height - (strip * rowsPerStrip));
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(offsets + (4 * strip)), (uint)(pixels + (strip * rowsPerStrip * rowBytes)));
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(counts + (4 * strip)), (uint)(rows * rowBytes));
        }

        image.CopyPixelDataTo(tiff.AsSpan(pixels));
        return tiff;
    }
}
