using System.Buffers.Binary;

namespace Inference.Core.Imaging.Formats;

/// <summary>
/// Checks a WebP's RIFF chunk sizes against the container and the data before libwebp sees them, reads the
/// canvas size, the EXIF orientation and the animation frame count (the demuxer indexes every frame before the
/// first is decoded, so that count is capped here).
/// </summary>
internal static class WebPStructure
{
    private const int FixedWorkingBytes = 128 << 10;

    // ICCP, ANIM, ALPH, the image, EXIF, XMP and a few unknown chunks beside the frames.
    private const int ExtraChunks = 16;

    public static ImageHeader Read(ReadOnlySpan<byte> data, ImageLimits limits)
    {
        if (data.Length < 20)
        {
            throw Corrupt("no chunk after the RIFF header");
        }

        var riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        var riffEnd = 8L + riffSize;
        if (riffSize < 12)
        {
            throw Corrupt($"a RIFF size of {riffSize} bytes, too small for any image");
        }

        // A RIFF longer than the data (beyond a missing pad byte) is a truncated file, which libwebp can decode to
        // a silently incomplete image; a shorter one leaves trailing bytes out.
        if (riffEnd > data.Length + 1L && !limits.AllowPartialImages)
        {
            throw new ImageDecodeException(
                ImageFailureReason.Corrupt,
                $"The WebP is truncated: its RIFF header declares {riffEnd} bytes and {data.Length} arrived.");
        }

        var end = (int)Math.Min(riffEnd, data.Length);
        var first = ReadChunk(data, 12, end, riffEnd);
        var payload = data.Slice(first.Offset + 8, Math.Min(first.Size, end - first.Offset - 8));
        int width, height;
        var orientation = ImageOrientation.TopLeft;
        var fourCc = data.Slice(first.Offset, 4);
        if (fourCc.SequenceEqual("VP8 "u8))
        {
            (width, height) = LossySize(payload);
        }
        else if (fourCc.SequenceEqual("VP8L"u8))
        {
            (width, height) = LosslessSize(payload);
        }
        else if (fourCc.SequenceEqual("VP8X"u8))
        {
            if (payload.Length < 10)
            {
                throw Corrupt("a VP8X chunk too short to hold the canvas size");
            }

            width = 1 + (int)(BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]) & 0xFFFFFF);
            height = 1 + (int)(BinaryPrimitives.ReadUInt32LittleEndian(payload[6..]) >> 8);
            limits.EnsureWithin(width, height);
            orientation = ReadExtendedChunks(data, first.Next, end, riffEnd, limits);
        }
        else
        {
            throw Corrupt($"an unknown first chunk '{System.Text.Encoding.ASCII.GetString(fourCc)}'");
        }

        if (width == 0 || height == 0)
        {
            throw new ImageDecodeException(ImageFailureReason.Corrupt, $"The WebP declares an empty image ({width}×{height}).");
        }

        limits.EnsureWithin(width, height);

        // Skia copies the RIFF into one buffer; a lossless or animated image is also built whole as ARGB.
        return new ImageHeader
        {
            Format = ImageFormat.WebP,
            Width = width,
            Height = height,
            Orientation = orientation,
            CodecWorkingBytes = end + (5L * width * height) + FixedWorkingBytes,
            Ranges = [new SourceRange(0, end)],
        };
    }

    /// <summary>
    /// Walks the chunks after VP8X. The demuxer keeps a record per chunk and per frame, so both counts are capped
    /// (frames by the limit, other chunks by a small allowance above it).
    /// </summary>
    private static ImageOrientation ReadExtendedChunks(ReadOnlySpan<byte> data, int offset, int end, long riffEnd, ImageLimits limits)
    {
        var orientation = ImageOrientation.TopLeft;
        int frames = 0, chunks = 0;
        while (offset + 8 <= end)
        {
            var chunk = ReadChunk(data, offset, end, riffEnd);
            var fourCc = data.Slice(offset, 4);
            if ((fourCc.SequenceEqual("ANMF"u8) && ++frames > limits.MaxAnimationFrames) || ++chunks > limits.MaxAnimationFrames + ExtraChunks)
            {
                throw new ImageDecodeException(
                    ImageFailureReason.TooComplex,
                    $"The WebP has more than {limits.MaxAnimationFrames} animation frames or chunks; only the first frame is used.");
            }

            if (fourCc.SequenceEqual("EXIF"u8) && chunk.Next <= end)
            {
                orientation = TiffDirectory.ReadExifOrientation(data.Slice(offset + 8, chunk.Size));
            }

            offset = chunk.Next;
        }

        return orientation;
    }

    private static (int Offset, int Size, int Next) ReadChunk(ReadOnlySpan<byte> data, int offset, int end, long riffEnd)
    {
        if (offset + 8 > end)
        {
            throw Corrupt($"a chunk header cut off at byte {offset}");
        }

        var size = BinaryPrimitives.ReadUInt32LittleEndian(data[(offset + 4)..]);
        var next = offset + 8L + size + (size & 1);
        if (next > riffEnd + (size & 1))
        {
            throw Corrupt($"a chunk at byte {offset} declaring {size} bytes, past the end of its RIFF container");
        }

        return (offset, (int)size, (int)Math.Min(next, int.MaxValue));
    }

    private static (int Width, int Height) LossySize(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 10 || payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A || (payload[0] & 1) != 0)
        {
            throw Corrupt("a VP8 chunk without a key frame header");
        }

        return (BinaryPrimitives.ReadUInt16LittleEndian(payload[6..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(payload[8..]) & 0x3FFF);
    }

    private static (int Width, int Height) LosslessSize(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 5 || payload[0] != 0x2F)
        {
            throw Corrupt("a VP8L chunk without its signature");
        }

        var bits = BinaryPrimitives.ReadUInt32LittleEndian(payload[1..]);
        return (1 + (int)(bits & 0x3FFF), 1 + (int)((bits >> 14) & 0x3FFF));
    }

    private static ImageDecodeException Corrupt(string what) =>
        new(ImageFailureReason.Corrupt, $"The WebP is corrupt: it has {what}.");
}
