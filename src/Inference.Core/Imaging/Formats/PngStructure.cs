using System.Buffers.Binary;

namespace Inference.Core.Imaging.Formats;

/// <summary>
/// Walks a PNG's chunk headers before libpng sees a byte. The codec is shown only what it needs to draw the
/// image (IHDR, PLTE, tRNS, the IDAT run and IEND): text, ICC, EXIF and APNG chunks are never inflated or
/// parsed by it, so a zTXt or iCCP bomb costs a skip. The EXIF orientation is read here from eXIf, uncompressed.
/// </summary>
internal static class PngStructure
{
    private const int SignatureLength = 8;
    private const int FixedWorkingBytes = 128 << 10;

    public static ImageHeader Read(ReadOnlySpan<byte> data, ImageLimits limits)
    {
        if (data.Length < SignatureLength + 8 + 13 || !data[(SignatureLength + 4)..].StartsWith("IHDR"u8) ||
            BinaryPrimitives.ReadUInt32BigEndian(data[SignatureLength..]) != 13)
        {
            throw Corrupt("no complete IHDR chunk at the start");
        }

        var ihdr = data.Slice(SignatureLength + 8, 13);
        var width = BinaryPrimitives.ReadUInt32BigEndian(ihdr);
        var height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        var (bitDepth, colorType, interlace) = (ihdr[8], ihdr[9], ihdr[12]);
        if (width == 0 || height == 0)
        {
            throw new ImageDecodeException(ImageFailureReason.Corrupt, $"The PNG header declares an empty image ({width}×{height}).");
        }

        limits.EnsureWithin(width, height);
        var channels = Channels(colorType, bitDepth);
        if (ihdr[10] != 0 || ihdr[11] != 0 || interlace > 1)
        {
            throw Corrupt("an unknown compression, filter or interlace method in its header");
        }

        var ranges = new RangeBuilder();
        ranges.Add(0, SignatureLength + 25);
        var orientation = ImageOrientation.TopLeft;
        bool imageData = false, imageDataEnded = false, palette = false;
        long position = SignatureLength + 25;
        while (position + 8 <= data.Length)
        {
            var chunk = data[(int)position..];
            var length = BinaryPrimitives.ReadUInt32BigEndian(chunk);
            if (length > int.MaxValue)
            {
                throw Corrupt($"a chunk declaring {length} bytes");
            }

            var type = chunk.Slice(4, 4);
            var end = position + 12 + length;
            var truncated = end > data.Length;
            var kept = (int)(Math.Min(end, data.Length) - position);
            if (type.SequenceEqual("IDAT"u8))
            {
                if (imageDataEnded)
                {
                    throw Corrupt("IDAT chunks that are not consecutive");
                }

                imageData = true;
                ranges.Add((int)position, kept);
            }
            else
            {
                imageDataEnded = imageData;
                if (type.SequenceEqual("IEND"u8))
                {
                    ranges.Add((int)position, kept);
                    break;
                }

                if (type.SequenceEqual("PLTE"u8) || type.SequenceEqual("tRNS"u8))
                {
                    palette |= type[0] == 'P';
                    ranges.Add((int)position, kept);
                }
                else if (type.SequenceEqual("eXIf"u8) && !truncated)
                {
                    orientation = TiffDirectory.ReadExifOrientation(chunk.Slice(8, (int)length));
                }
                else if ((type[0] & 0x20) == 0)
                {
                    throw Corrupt($"an unknown critical chunk '{System.Text.Encoding.ASCII.GetString(type)}'");
                }
            }

            if (truncated)
            {
                break;
            }

            position = end;
        }

        if (!imageData)
        {
            throw Corrupt("no image data (no IDAT chunk)");
        }

        if (colorType == 3 && !palette)
        {
            throw Corrupt("a palette colour type without a PLTE chunk");
        }

        // An interlaced image is gathered whole, at its decoded depth, before it is swizzled into our pixels.
        var bytesPerPixel = Math.Max(channels * bitDepth / 8, 1);
        var working = interlace == 1 ? (long)width * height * Math.Max(bytesPerPixel, 4) : 4L * width * bytesPerPixel;
        return new ImageHeader
        {
            Format = ImageFormat.Png,
            Width = (int)width,
            Height = (int)height,
            Orientation = orientation,
            CodecWorkingBytes = working + FixedWorkingBytes,
            Ranges = ranges.Ranges,
        };
    }

    private static int Channels(byte colorType, byte bitDepth)
    {
        var (channels, depths) = colorType switch
        {
            0 => (1, new byte[] { 1, 2, 4, 8, 16 }),
            2 => (3, [8, 16]),
            3 => (1, [1, 2, 4, 8]),
            4 => (2, [8, 16]),
            6 => (4, [8, 16]),
            _ => (0, []),
        };
        if (Array.IndexOf(depths, bitDepth) < 0)
        {
            throw Corrupt($"colour type {colorType} with bit depth {bitDepth}, which the format does not allow");
        }

        return channels;
    }

    private static ImageDecodeException Corrupt(string what) =>
        new(ImageFailureReason.Corrupt, $"The PNG is corrupt: it has {what}.");
}
