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
    public static byte[] Write(Image<Rgb24> image, ushort orientation = 1)
    {
        ArgumentNullException.ThrowIfNull(image);
        (ushort Tag, ushort Type, uint Count, uint Value)[] entries =
        [
            (256, 4, 1, (uint)image.Width),
            (257, 4, 1, (uint)image.Height),
            (258, 3, 3, 134), // bits per sample: three shorts after the directory
            (259, 3, 1, 1), // no compression
            (262, 3, 1, 2), // RGB
            (273, 4, 1, 140), // the single strip's offset
            (274, 3, 1, orientation),
            (277, 3, 1, 3),
            (278, 4, 1, (uint)image.Height),
            (279, 4, 1, (uint)(image.Width * image.Height * 3)),
        ];
        var tiff = new byte[140 + (image.Width * image.Height * 3)];
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
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(134 + (2 * i)), 8);
        }

        image.CopyPixelDataTo(tiff.AsSpan(140));
        return tiff;
    }
}
