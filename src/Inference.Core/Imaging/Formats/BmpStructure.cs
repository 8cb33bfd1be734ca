using System.Buffers.Binary;

namespace Inference.Core.Imaging.Formats;

/// <summary>Reads a BMP's file and DIB headers: size, bit depth and compression.</summary>
internal static class BmpStructure
{
    private const int FixedWorkingBytes = 64 << 10;

    public static ImageHeader Read(ReadOnlySpan<byte> data, ImageLimits limits)
    {
        var dibSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        long width, height;
        int bitsPerPixel;
        uint compression = 0;
        if (dibSize == 12)
        {
            if (data.Length < 26)
            {
                throw Corrupt("a core header cut off by the end of the data");
            }

            width = BinaryPrimitives.ReadUInt16LittleEndian(data[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[20..]);
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(data[24..]);
        }
        else
        {
            if (data.Length < 34)
            {
                throw Corrupt("an info header cut off by the end of the data");
            }

            width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);

            // Negative height means rows are stored top-down.
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data[22..]));
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(data[30..]);
        }

        if (width <= 0 || height <= 0)
        {
            throw new ImageDecodeException(ImageFailureReason.Corrupt, $"The BMP header declares an empty image ({width}×{height}).");
        }

        limits.EnsureWithin(width, height);

        if (bitsPerPixel is not (1 or 2 or 4 or 8 or 16 or 24 or 32))
        {
            throw Corrupt($"{bitsPerPixel} bits per pixel");
        }

        if (compression is 4 or 5)
        {
            throw new ImageDecodeException(ImageFailureReason.Unsupported, "BMPs that wrap a JPEG or PNG are not supported; send the JPEG or PNG itself.");
        }

        if (compression is not (0 or 1 or 2 or 3 or 6))
        {
            throw Corrupt($"compression method {compression}");
        }

        return new ImageHeader
        {
            Format = ImageFormat.Bmp,
            Width = (int)width,
            Height = (int)height,
            CodecWorkingBytes = (8L * width) + FixedWorkingBytes,
        };
    }

    private static ImageDecodeException Corrupt(string what) =>
        new(ImageFailureReason.Corrupt, $"The BMP is corrupt: it has {what}.");
}
