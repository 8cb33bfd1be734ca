using System.Buffers.Binary;

namespace Inference.Core.Imaging.Formats;

/// <summary>
/// Walks a JPEG's markers (and the entropy-coded data between them, for the next marker) before libjpeg-turbo
/// sees a byte: the frame header gives the size, APP1 the EXIF orientation, and the scan and segment counts are
/// capped here because libjpeg-turbo has no scan limit of its own before it has paid for 99 scans. Metadata
/// segments (APP1–APP13, APP15, COM) are left out of what the codec is shown; APP0 (JFIF) and APP14 (Adobe,
/// which says how CMYK is stored) stay.
/// </summary>
internal static class JpegStructure
{
    private const int FixedWorkingBytes = 256 << 10;

    public static ImageHeader Read(ReadOnlySpan<byte> data, ImageLimits limits)
    {
        var ranges = new RangeBuilder();
        ranges.Add(0, 2);
        var position = 2;
        var segments = 0;
        var scans = 0;
        long restarts = 0;
        Frame? frame = null;
        var orientation = ImageOrientation.TopLeft;
        var exifSeen = false;

        while (position < data.Length)
        {
            if (data[position] != 0xFF)
            {
                // Bytes between segments: libjpeg skips them with a warning, so they stay its business.
                var next = data[position..].IndexOf((byte)0xFF);
                if (next < 0)
                {
                    break;
                }

                ranges.Add(position, next);
                position += next;
            }

            var markerAt = position + 1;
            while (markerAt < data.Length && data[markerAt] == 0xFF)
            {
                markerAt++;
            }

            if (markerAt >= data.Length)
            {
                break;
            }

            var marker = data[markerAt];
            var afterMarker = markerAt + 1;
            if (marker == 0xD9)
            {
                ranges.Add(position, afterMarker - position);
                break;
            }

            if (marker == 0xD8 || marker == 0x00)
            {
                throw Corrupt($"a stray 0xFF{marker:X2} marker at byte {markerAt - 1}");
            }

            if (++segments > limits.MaxJpegSegments)
            {
                throw new ImageDecodeException(
                    ImageFailureReason.TooComplex,
                    $"The JPEG has more than {limits.MaxJpegSegments} markers; real files have a few dozen.");
            }

            if (marker is (>= 0xD0 and <= 0xD7) or 0x01)
            {
                ranges.Add(position, afterMarker - position);
                position = afterMarker;
                continue;
            }

            if (afterMarker + 2 > data.Length)
            {
                ranges.Add(position, data.Length - position);
                break;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[afterMarker..]);
            if (length < 2)
            {
                throw Corrupt($"a 0xFF{marker:X2} segment of impossible length {length}");
            }

            var end = afterMarker + length;
            var truncated = end > data.Length;
            var segmentEnd = Math.Min(end, data.Length);
            var payload = data[(afterMarker + 2)..segmentEnd];

            if (marker == 0xDA)
            {
                if (frame is null)
                {
                    throw Corrupt("a scan before the frame header");
                }

                if (++scans > limits.MaxProgressiveScans)
                {
                    throw new ImageDecodeException(
                        ImageFailureReason.TooComplex,
                        $"The JPEG has more than {limits.MaxProgressiveScans} scans; encoders write at most about 20, and each costs a full pass over the image.");
                }

                // Each scan starts a fresh codec read, so the budget is checked between scans.
                ranges.EndRead();
                ranges.Add(position, segmentEnd - position);
                if (truncated)
                {
                    break;
                }

                var dataEnd = SkipEntropyCodedData(data, segmentEnd, ref restarts);
                ranges.Add(segmentEnd, dataEnd - segmentEnd);
                position = dataEnd;
                continue;
            }

            switch (marker)
            {
                case 0xC0 or 0xC1 or 0xC2:
                    if (frame is not null)
                    {
                        throw Corrupt("a second frame header");
                    }

                    if (truncated)
                    {
                        throw Corrupt("a frame header cut off by the end of the data");
                    }

                    frame = Frame.Parse(payload, progressive: marker == 0xC2);
                    limits.EnsureWithin(frame.Value.Width, frame.Value.Height);
                    ranges.Add(position, segmentEnd - position);
                    break;
                case 0xC3 or (>= 0xC5 and <= 0xC7) or (>= 0xC9 and <= 0xCB) or (>= 0xCD and <= 0xCF):
                    throw new ImageDecodeException(
                        ImageFailureReason.Unsupported,
                        $"This JPEG uses a lossless, hierarchical or arithmetic-coded process (SOF 0xFF{marker:X2}); send a baseline or progressive JPEG.");
                case 0xDD when length != 4:
                    throw Corrupt($"a restart-interval segment of length {length} (it must be 4)");
                case 0xE1:
                    if (!exifSeen && payload.StartsWith("Exif\0\0"u8))
                    {
                        exifSeen = true;
                        orientation = TiffDirectory.ReadExifOrientation(payload);
                    }

                    break;
                case (>= 0xE2 and <= 0xED) or 0xEF or 0xFE:
                    break;
                default:
                    ranges.Add(position, segmentEnd - position);
                    break;
            }

            if (truncated)
            {
                break;
            }

            position = segmentEnd;
        }

        if (frame is not { } f)
        {
            throw Corrupt("no frame header before the data ends");
        }

        if (scans == 0)
        {
            throw Corrupt("no image data (no scan)");
        }

        if (restarts > f.Blocks * scans)
        {
            throw Corrupt($"{restarts} restart markers for {f.Blocks} blocks");
        }

        // One sequential scan streams through MCU rows; more scans need libjpeg's whole-image coefficient buffer.
        var working = f.Progressive || scans > 1 ? f.CoefficientBytes : (long)f.Width * f.Components * 64;
        return new ImageHeader
        {
            Format = ImageFormat.Jpeg,
            Width = f.Width,
            Height = f.Height,
            Orientation = orientation,
            CodecWorkingBytes = working + FixedWorkingBytes,
            Ranges = ranges.Ranges,
            DctScalable = true,
        };
    }

    /// <summary>Returns the offset of the marker that ends a scan's entropy-coded data, counting restart markers.</summary>
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int start, ref long restarts)
    {
        var position = start;
        while (true)
        {
            var next = data[position..].IndexOf((byte)0xFF);
            if (next < 0 || position + next + 1 >= data.Length)
            {
                return data.Length;
            }

            position += next;
            var marker = data[position + 1];
            if (marker == 0x00)
            {
                position += 2;
            }
            else if (marker == 0xFF)
            {
                position++;
            }
            else if (marker is >= 0xD0 and <= 0xD7)
            {
                restarts++;
                position += 2;
            }
            else
            {
                return position;
            }
        }
    }

    private static ImageDecodeException Corrupt(string what) =>
        new(ImageFailureReason.Corrupt, $"The JPEG is corrupt: it has {what}.");

    private readonly record struct Frame(int Width, int Height, int Components, bool Progressive, long Blocks, long CoefficientBytes)
    {
        public static Frame Parse(ReadOnlySpan<byte> payload, bool progressive)
        {
            if (payload.Length < 6)
            {
                throw Corrupt("a frame header too short to hold a size");
            }

            var precision = payload[0];
            var height = BinaryPrimitives.ReadUInt16BigEndian(payload[1..]);
            var width = BinaryPrimitives.ReadUInt16BigEndian(payload[3..]);
            var components = payload[5];
            if (precision != 8)
            {
                throw new ImageDecodeException(ImageFailureReason.Unsupported, $"{precision}-bit JPEGs are not supported; send an 8-bit JPEG.");
            }

            if (height == 0)
            {
                throw new ImageDecodeException(ImageFailureReason.Unsupported, "JPEGs whose height is given by a later DNL marker are not supported.");
            }

            if (width == 0)
            {
                throw Corrupt("a frame header declaring zero width");
            }

            if (components is not (1 or 3 or 4))
            {
                throw new ImageDecodeException(ImageFailureReason.Unsupported, $"JPEGs with {components} colour components are not supported (1, 3 or 4 are).");
            }

            if (payload.Length < 6 + (3 * components))
            {
                throw Corrupt("a frame header shorter than its component list");
            }

            int maxH = 1, maxV = 1;
            for (var c = 0; c < components; c++)
            {
                var (h, v) = Sampling(payload, c);
                maxH = Math.Max(maxH, h);
                maxV = Math.Max(maxV, v);
            }

            // libjpeg's coefficient buffer: every component's blocks, padded to whole MCUs, 64 shorts each.
            long blocks = 0;
            for (var c = 0; c < components; c++)
            {
                var (h, v) = Sampling(payload, c);
                var across = RoundUp(DivideUp(DivideUp((long)width * h, maxH), 8), h);
                var down = RoundUp(DivideUp(DivideUp((long)height * v, maxV), 8), v);
                blocks += across * down;
            }

            return new Frame(width, height, components, progressive, blocks, blocks * 64 * sizeof(short));
        }

        private static (int H, int V) Sampling(ReadOnlySpan<byte> payload, int component)
        {
            var factors = payload[6 + (3 * component) + 1];
            var (h, v) = (factors >> 4, factors & 0x0F);
            if (h is < 1 or > 4 || v is < 1 or > 4)
            {
                throw Corrupt($"sampling factors {h}×{v} outside 1–4");
            }

            return (h, v);
        }

        private static long DivideUp(long value, long divisor) => (value + divisor - 1) / divisor;

        private static long RoundUp(long value, long multiple) => DivideUp(value, multiple) * multiple;
    }
}
