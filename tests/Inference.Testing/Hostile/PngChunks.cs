using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Inference.Testing.Hostile;

/// <summary>Builds and takes apart PNG files chunk by chunk, with valid CRCs, for hostile and edge-case images.</summary>
public static class PngChunks
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    public static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>One chunk: length, type, data, CRC over type and data.</summary>
    public static byte[] Chunk(string type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4, 4));
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    public static byte[] Header(uint width, uint height, byte bitDepth = 8, byte colorType = 2, byte interlace = 0)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colorType;
        ihdr[12] = interlace;
        return Chunk("IHDR", ihdr);
    }

    /// <summary>Signature followed by the given chunks.</summary>
    public static byte[] File(params byte[][] chunks)
    {
        using var stream = new MemoryStream();
        stream.Write(Signature);
        foreach (var chunk in chunks)
        {
            stream.Write(chunk);
        }

        return stream.ToArray();
    }

    /// <summary>The chunks of a PNG in order: type, and where its data starts and how long it is.</summary>
    public static IReadOnlyList<(string Type, int Offset, int Length)> Read(byte[] png)
    {
        var chunks = new List<(string, int, int)>();
        for (var position = 8; position + 12 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            chunks.Add((Encoding.ASCII.GetString(png, position + 4, 4), position + 8, length));
            position += 12 + length;
        }

        return chunks;
    }

    /// <summary>The same PNG with its IDAT chunks merged into one whose data is <paramref name="transform"/>(all image data).</summary>
    public static byte[] WithImageData(byte[] png, Func<byte[], byte[]> transform)
    {
        var chunks = Read(png);
        var data = chunks.Where(c => c.Type == "IDAT").SelectMany(c => png.AsSpan(c.Offset, c.Length).ToArray()).ToArray();
        var rebuilt = new List<byte[]>();
        var written = false;
        foreach (var (type, offset, length) in chunks)
        {
            if (type != "IDAT")
            {
                rebuilt.Add(Chunk(type, png.AsSpan(offset, length)));
            }
            else if (!written)
            {
                rebuilt.Add(Chunk("IDAT", transform(data)));
                written = true;
            }
        }

        return File([.. rebuilt]);
    }

    /// <summary>The same PNG with <paramref name="extra"/> inserted before the first chunk of type <paramref name="before"/>.</summary>
    public static byte[] Insert(byte[] png, string before, params byte[][] extra)
    {
        var at = Read(png).First(c => c.Type == before).Offset - 8;
        return [.. png.AsSpan(0, at), .. extra.SelectMany(e => e), .. png.AsSpan(at)];
    }

    public static byte[] Zlib(ReadOnlySpan<byte> raw, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, level, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        return output.ToArray();
    }

    /// <summary>
    /// A zlib stream that inflates to <paramref name="bytes"/> zeros (a whole MiB at most 1023 bytes short of
    /// it). Built without compressing it all: one MiB of zeros is deflated and sync-flushed (so its blocks end on
    /// a byte), and the second MiB's blocks, which only copy from the zeros before them, are repeated.
    /// </summary>
    public static byte[] ZlibOfZeros(long bytes)
    {
        const int Step = 1 << 20;
        var zeros = new byte[Step];
        using var first = new MemoryStream();
        using var deflate = new DeflateStream(first, CompressionLevel.Optimal, leaveOpen: true);
        deflate.Write(zeros);
        deflate.Flush();
        var head = first.ToArray();
        deflate.Write(zeros);
        deflate.Flush();
        var repeat = first.ToArray()[head.Length..];

        var steps = Math.Max(1, (bytes + Step - 1) / Step);
        using var output = new MemoryStream();
        output.Write([0x78, 0xDA]);
        output.Write(head);
        for (var i = 1; i < steps; i++)
        {
            output.Write(repeat);
        }

        // An empty final stored block, then the Adler-32 of n zeros: a = 1, b = n mod 65521.
        output.Write([0x01, 0x00, 0x00, 0xFF, 0xFF]);
        var b = (uint)(steps * Step % 65521);
        output.Write([(byte)(b >> 8), (byte)b, 0x00, 0x01]);
        return output.ToArray();
    }

    // PNG chunk CRC (ISO 3309), table-driven: a dozen lines beat a package for test data.
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
