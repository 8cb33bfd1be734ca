using System.Buffers.Binary;

namespace Inference.Core.Imaging.Formats;

/// <summary>
/// Walks a GIF's blocks up to the end of its first frame and shows the codec only that frame, with its graphic
/// control extension, followed by a trailer. A GIF with thousands of frames therefore costs one frame: the
/// codec cannot count, index or decode what it never sees.
/// </summary>
internal static class GifStructure
{
    private const int HeaderLength = 13;
    private const int FixedWorkingBytes = 64 << 10;
    private static readonly byte[] Trailer = [0x3B];

    public static ImageHeader Read(ReadOnlySpan<byte> data, ImageLimits limits)
    {
        if (data.Length < HeaderLength)
        {
            throw Corrupt("a logical screen descriptor cut off by the end of the data");
        }

        var width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        var height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        if (width == 0 || height == 0)
        {
            throw new ImageDecodeException(ImageFailureReason.Corrupt, $"The GIF declares an empty screen ({width}×{height}).");
        }

        limits.EnsureWithin(width, height);

        var ranges = new RangeBuilder();
        var position = HeaderLength + ColorTableLength(data[10]);
        ranges.Add(0, Math.Min(position, data.Length));
        (int Offset, int Length)? control = null;
        bool image = false, complete = false;
        while (position < data.Length && !image)
        {
            var block = data[position];
            if (block == 0x21 && position + 1 < data.Length)
            {
                var end = SkipSubBlocks(data, position + 2, out _);
                if (data[position + 1] == 0xF9)
                {
                    control = (position, end - position);
                }

                position = end;
            }
            else if (block == 0x2C)
            {
                if (control is { } c)
                {
                    ranges.Add(c.Offset, c.Length);
                }

                var lzwAt = position + 10 + (position + 9 < data.Length ? ColorTableLength(data[position + 9]) : 0);
                var end = lzwAt + 1 < data.Length ? SkipSubBlocks(data, lzwAt + 1, out complete) : data.Length;
                ranges.Add(position, Math.Min(end, data.Length) - position);
                image = true;
            }
            else if (block == 0x3B)
            {
                throw Corrupt("a trailer before any image");
            }
            else
            {
                throw Corrupt($"an unknown block 0x{block:X2} at byte {position}");
            }
        }

        if (!image)
        {
            throw Corrupt("no image before the data ends");
        }

        return new ImageHeader
        {
            Format = ImageFormat.Gif,
            Width = width,
            Height = height,
            CodecWorkingBytes = (4L * width * height) + FixedWorkingBytes,
            Ranges = ranges.Ranges,

            // A cut-off frame gets no trailer, so the codec sees the truncation as it is.
            Suffix = complete ? Trailer : ReadOnlyMemory<byte>.Empty,
        };
    }

    private static int ColorTableLength(byte packed) => (packed & 0x80) != 0 ? 3 << ((packed & 0x07) + 1) : 0;

    /// <summary>Returns the offset after a run of data sub-blocks (or the data's end when it is cut off).</summary>
    private static int SkipSubBlocks(ReadOnlySpan<byte> data, int position, out bool complete)
    {
        while (position < data.Length)
        {
            var size = data[position];
            position += 1 + size;
            if (size == 0)
            {
                complete = true;
                return position;
            }
        }

        complete = false;
        return data.Length;
    }

    private static ImageDecodeException Corrupt(string what) =>
        new(ImageFailureReason.Corrupt, $"The GIF is corrupt: it has {what}.");
}
