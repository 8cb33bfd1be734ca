namespace Inference.Testing.Hostile;

/// <summary>
/// Writes real progressive JPEGs, which neither ImageSharp 2 nor Skia can encode: a first DC scan that carries
/// every 8×8 block's mean (so the image decodes to a blocky copy of the source), then any number of AC scans
/// holding nothing but end-of-band runs. Each extra scan costs a decoder a pass over every block while adding a
/// few bytes: the progressive-scan attack.
/// </summary>
public static class ProgressiveJpegWriter
{
    private static readonly byte[] DcBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] DcValues = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    // Fifteen 4-bit codes for EOB0..EOB14 (the all-ones code stays unused, as the standard requires).
    private static readonly byte[] AcBits = [0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] AcValues = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0, 0xE0];

    /// <param name="sample">Sample value (0–255) of component c at (x, y): grey, or Y, Cb, Cr.</param>
    /// <param name="acScans">End-of-band AC scans after the DC scan, round-robin over the components.</param>
    public static byte[] Write(int width, int height, int components, Func<int, int, int, byte> sample, int acScans)
    {
        ArgumentNullException.ThrowIfNull(sample);
        using var output = new MemoryStream();
        output.Write([0xFF, 0xD8]);
        var quantisation = new byte[65];
        Array.Fill(quantisation, (byte)8, 1, 64);
        Segment(output, 0xDB, quantisation);
        var frame = new List<byte> { 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, (byte)components };
        for (var c = 0; c < components; c++)
        {
            frame.AddRange([(byte)(c + 1), 0x11, 0]);
        }

        Segment(output, 0xC2, [.. frame]);
        Segment(output, 0xC4, [0x00, .. DcBits, .. DcValues, 0x10, .. AcBits, .. AcValues]);
        var blocksAcross = (width + 7) / 8;
        var blocksDown = (height + 7) / 8;
        WriteDcScan(output, width, height, components, sample, blocksAcross, blocksDown);
        var (codes, lengths) = Codes(AcBits, AcValues);
        for (var s = 0; s < acScans; s++)
        {
            Segment(output, 0xDA, [1, (byte)((s % components) + 1), 0x00, 1, 63, 0]);
            var bits = new BitWriter(output);
            for (var left = blocksAcross * blocksDown; left > 0;)
            {
                var run = Math.Min(left, 32767);
                var log = 31 - int.LeadingZeroCount(run);
                bits.Write(codes[log << 4], lengths[log << 4]);
                bits.Write(run - (1 << log), log);
                left -= run;
            }

            bits.Flush();
        }

        output.Write([0xFF, 0xD9]);
        return output.ToArray();
    }

    private static void WriteDcScan(Stream output, int width, int height, int components, Func<int, int, int, byte> sample, int blocksAcross, int blocksDown)
    {
        var scan = new List<byte> { (byte)components };
        for (var c = 0; c < components; c++)
        {
            scan.AddRange([(byte)(c + 1), 0x00]);
        }

        Segment(output, 0xDA, [.. scan, 0, 0, 0]);
        var (codes, lengths) = Codes(DcBits, DcValues);
        var bits = new BitWriter(output);
        var previous = new int[components];
        for (var by = 0; by < blocksDown; by++)
        {
            for (var bx = 0; bx < blocksAcross; bx++)
            {
                for (var c = 0; c < components; c++)
                {
                    // With a DC quantiser of 8, the quantised DC coefficient is the block mean minus 128.
                    var dc = BlockMean(width, height, sample, bx, by, c) - 128;
                    var diff = dc - previous[c];
                    previous[c] = dc;
                    var category = diff == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(diff));
                    bits.Write(codes[category], lengths[category]);
                    bits.Write(diff < 0 ? diff - 1 : diff, category);
                }
            }
        }

        bits.Flush();
    }

    private static int BlockMean(int width, int height, Func<int, int, int, byte> sample, int bx, int by, int c)
    {
        int sum = 0, count = 0;
        for (var y = by * 8; y < Math.Min(height, (by * 8) + 8); y++)
        {
            for (var x = bx * 8; x < Math.Min(width, (bx * 8) + 8); x++)
            {
                sum += sample(x, y, c);
                count++;
            }
        }

        return (int)Math.Round(sum / (double)count);
    }

    private static void Segment(Stream output, byte marker, byte[] payload)
    {
        output.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        output.Write(payload);
    }

    /// <summary>Canonical Huffman codes from a DHT's code-length counts and symbol list (JPEG Annex C).</summary>
    private static (int[] Codes, int[] Lengths) Codes(byte[] bits, byte[] values)
    {
        var codes = new int[256];
        var lengths = new int[256];
        var code = 0;
        var k = 0;
        for (var length = 1; length <= 16; length++)
        {
            for (var i = 0; i < bits[length - 1]; i++, k++, code++)
            {
                codes[values[k]] = code;
                lengths[values[k]] = length;
            }

            code <<= 1;
        }

        return (codes, lengths);
    }

    /// <summary>MSB-first bits with JPEG's 0xFF byte stuffing; the last byte is padded with ones.</summary>
    private sealed class BitWriter(Stream stream)
    {
        private int _buffer;
        private int _count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _buffer = (_buffer << 1) | ((value >> i) & 1);
                if (++_count == 8)
                {
                    Emit();
                }
            }
        }

        public void Flush()
        {
            while (_count != 0)
            {
                Write(1, 1);
            }
        }

        private void Emit()
        {
            stream.WriteByte((byte)_buffer);
            if (_buffer == 0xFF)
            {
                stream.WriteByte(0);
            }

            _buffer = 0;
            _count = 0;
        }
    }
}
