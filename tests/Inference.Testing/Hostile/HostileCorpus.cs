using System.Buffers.Binary;
using System.Collections.Concurrent;
using Inference.Core.Imaging;
using Inference.DemoModel;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Inference.Testing.Hostile;

#pragma warning disable CA5394 // Seeded pseudo-random test data, not security.

/// <summary>
/// A deterministic corpus of more than 1000 hostile images in memory, in the classes of
/// <see cref="HostileClass"/>, each named and with the outcome the decoder owes it. Built from the fixture photos
/// (or, in a bare clone, from generated camera-like pictures). Shared by the Core tests (a quick subset against
/// the decoder), the HTTP tests and the hostile benchmark (all of it).
/// </summary>
public static class HostileCorpus
{
    public const int DefaultSeed = 10;

    /// <summary>What the zTXt bomb inflated to.</summary>
    public const long BombInflatedBytes = 256L << 20;

    private static readonly string[] FixturePhotos = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"];
    private static readonly string[] BodyContentTypes = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff", "application/octet-stream"];
    private static readonly ConcurrentDictionary<int, Lazy<IReadOnlyList<HostileCase>>> Corpora = new();
    private static readonly ConcurrentDictionary<long, Lazy<byte[]>> ZerosByLength = new();
    private static readonly Lazy<IReadOnlyList<Photo>> PhotoSet = new(LoadPhotos);

    /// <summary>Every case, generated once per seed and process.</summary>
    public static IReadOnlyList<HostileCase> Generate(int seed = DefaultSeed) =>
        Corpora.GetOrAdd(seed, s => new Lazy<IReadOnlyList<HostileCase>>(() => Build(s))).Value;

    /// <summary>About <paramref name="perClass"/> cases of every class, spread evenly over each class.</summary>
    public static IReadOnlyList<HostileCase> Quick(int perClass = 12, int seed = DefaultSeed)
    {
        var quick = new List<HostileCase>();
        foreach (var group in Generate(seed).GroupBy(c => c.Class))
        {
            var cases = group.ToArray();
            var step = Math.Max(1.0, cases.Length / (double)perClass);
            for (var i = 0.0; i < cases.Length; i += step)
            {
                quick.Add(cases[(int)i]);
            }
        }

        return quick;
    }

    /// <summary>The 70-byte PNG of issue 10: 96×80 RGB, Adam7, whose IDAT holds 2 bytes of a 23 KB image.</summary>
    public static byte[] InterlacedPng70Bytes()
    {
        // A zlib header, one final stored block of 2 bytes (a filter byte and one sample), their Adler-32.
        byte[] raw = [0, 0];
        byte[] zlib = [0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, .. raw, 0x00, 0x02, 0x00, 0x01];
        return PngChunks.File(PngChunks.Header(96, 80, interlace: 1), PngChunks.Chunk("IDAT", zlib), PngChunks.Chunk("IEND", []));
    }

    /// <summary>A real photo PNG carrying a zTXt chunk that inflates to <paramref name="inflatedBytes"/>.</summary>
    public static byte[] ZTxtBomb(long inflatedBytes = BombInflatedBytes) =>
        PngChunks.Insert(PhotoSet.Value[0].Png, "IDAT", TextBomb("zTXt", inflatedBytes));

    /// <summary>A 4000×4000 progressive JPEG with thousands of scans (about 8.5 ms of decoder work each).</summary>
    public static byte[] ProgressiveScanFlood(int width = 4000, int height = 4000, int scans = 3000) =>
        ProgressiveJpegWriter.Write(width, height, 1, Pattern, scans);

    /// <summary>The photos the corpus is made from, encoded as the web formats.</summary>
    public static IReadOnlyList<(string Name, byte[] Jpeg, byte[] Png, byte[] WebP, byte[] Gif)> Photos() =>
        [.. PhotoSet.Value.Select(p => (p.Name, p.Jpeg, p.Png, p.WebP, p.Gif))];

    private static List<HostileCase> Build(int seed)
    {
        var random = new Random(seed);
        var photos = PhotoSet.Value;
        var cases = new List<HostileCase>();
        AddBitFlips(cases, photos, random);
        AddTruncations(cases, photos, random);
        AddInterlacedShortData(cases, photos);
        AddInterlacedLongData(cases, photos, random);
        AddAncillaryBombs(cases, photos);
        AddHugeDeclaredSizes(cases, photos);
        AddProgressiveScanFloods(cases);
        AddRestartIntervalAbuse(cases, photos);
        AddMarkerFloods(cases, photos);
        AddGifFrameFloods(cases, photos);
        AddLyingWebPs(cases, photos);
        AddNotAnImageBodies(cases, random);
        return cases;
    }

    private static void AddBitFlips(List<HostileCase> cases, IReadOnlyList<Photo> photos, Random random)
    {
        foreach (var photo in photos)
        {
            foreach (var (format, data) in photo.WebFormats)
            {
                for (var i = 0; i < 30; i++)
                {
                    cases.Add(new($"bit-flip/{photo.Name}.{format}/{i}", HostileClass.BitFlip, Flip(data, random), ContentType(format), HostileOutcome.Either));
                }
            }
        }

        foreach (var (format, data) in new[] { ("bmp", photos[0].Bmp), ("tiff", photos[0].Tiff) })
        {
            for (var i = 0; i < 10; i++)
            {
                cases.Add(new($"bit-flip/{photos[0].Name}.{format}/{i}", HostileClass.BitFlip, Flip(data, random), ContentType(format), HostileOutcome.Either));
            }
        }
    }

    private static byte[] Flip(byte[] data, Random random)
    {
        var copy = (byte[])data.Clone();
        for (var flips = 1 + random.Next(8); flips > 0; flips--)
        {
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        }

        return copy;
    }

    private static void AddTruncations(List<HostileCase> cases, IReadOnlyList<Photo> photos, Random random)
    {
        foreach (var photo in photos)
        {
            foreach (var (format, data) in photo.WebFormats)
            {
                // Cut strictly inside the image data, so the decoder cannot have every pixel.
                var end = format switch
                {
                    "png" => PngChunks.Read(data).Where(c => c.Type == "IDAT").Max(c => c.Offset + c.Length) - 32,
                    "gif" => data.Length - 300,
                    _ => data.Length - 64,
                };
                for (var i = 0; i < 15; i++)
                {
                    var cut = 16 + random.Next(end - 16);
                    cases.Add(new($"truncation/{photo.Name}.{format}/at-{cut}", HostileClass.Truncation, data[..cut], ContentType(format), HostileOutcome.Fails, ImageFailureReason.Corrupt));
                }
            }
        }

        // BMP and TIFF store pixels after their headers; cut anywhere in the pixels.
        foreach (var (format, data, pixels) in new[] { ("bmp", photos[0].Bmp, 54), ("tiff", photos[0].Tiff, 512) })
        {
            for (var i = 0; i < 10; i++)
            {
                var cut = pixels + random.Next(data.Length - pixels - 64);
                cases.Add(new($"truncation/{photos[0].Name}.{format}/at-{cut}", HostileClass.Truncation, data[..cut], ContentType(format), HostileOutcome.Fails, ImageFailureReason.Corrupt));
            }
        }
    }

    private static void AddInterlacedShortData(List<HostileCase> cases, IReadOnlyList<Photo> photos)
    {
        cases.Add(Fails("interlaced-short/96x80-70-bytes", HostileClass.InterlacedShortData, InterlacedPng70Bytes(), "png", ImageFailureReason.Corrupt));
        foreach (var photo in photos)
        {
            foreach (var fraction in new[] { 0.01, 0.1, 0.5, 0.9, 0.99 })
            {
                var cut = PngChunks.WithImageData(photo.InterlacedPng, d => d[..(int)(d.Length * fraction)]);
                cases.Add(Fails($"interlaced-short/{photo.Name}/{fraction:0.00}", HostileClass.InterlacedShortData, cut, "png", ImageFailureReason.Corrupt));
            }
        }

        foreach (var (width, height, colorType, depth) in new (uint, uint, byte, byte)[] { (96, 80, 2, 8), (97, 81, 6, 8), (640, 480, 2, 8), (640, 480, 0, 16), (1000, 1000, 6, 16), (3000, 2000, 2, 8) })
        {
            foreach (var raw in new[] { 0, 1, 100, 10_000 })
            {
                var png = PngChunks.File(PngChunks.Header(width, height, depth, colorType, interlace: 1), PngChunks.Chunk("IDAT", PngChunks.Zlib(new byte[raw])), PngChunks.Chunk("IEND", []));
                cases.Add(Fails($"interlaced-short/{width}x{height}-type{colorType}-{depth}bit-{raw}-bytes", HostileClass.InterlacedShortData, png, "png", ImageFailureReason.Corrupt));
            }
        }
    }

    private static void AddInterlacedLongData(List<HostileCase> cases, IReadOnlyList<Photo> photos, Random random)
    {
        foreach (var photo in photos)
        {
            var garbage = new byte[10_000];
            random.NextBytes(garbage);
            var interlaced = photo.InterlacedPng;
            cases.Add(Either($"interlaced-long/{photo.Name}/trailing-garbage", HostileClass.InterlacedLongData, PngChunks.WithImageData(interlaced, d => [.. d, .. garbage]), "png"));
            cases.Add(Either($"interlaced-long/{photo.Name}/stream-twice", HostileClass.InterlacedLongData, PngChunks.WithImageData(interlaced, d => [.. d, .. d]), "png"));
            cases.Add(Either($"interlaced-long/{photo.Name}/extra-1MiB-stream", HostileClass.InterlacedLongData, PngChunks.WithImageData(interlaced, d => [.. d, .. Zeros(1 << 20)]), "png"));
            var extraChunks = Enumerable.Range(0, 16).Select(_ => PngChunks.Chunk("IDAT", garbage)).ToArray();
            cases.Add(Either($"interlaced-long/{photo.Name}/16-extra-idat", HostileClass.InterlacedLongData, PngChunks.Insert(interlaced, "IEND", extraChunks), "png"));
        }

        foreach (var (width, height, times) in new (uint, uint, int)[] { (96, 80, 50), (96, 80, 1000), (640, 480, 10), (1000, 1000, 4) })
        {
            var rawBytes = (long)height * ((width * 3) + 1) * times;
            var png = PngChunks.File(PngChunks.Header(width, height, interlace: 1), PngChunks.Chunk("IDAT", Zeros(rawBytes)), PngChunks.Chunk("IEND", []));
            cases.Add(Either($"interlaced-long/{width}x{height}-{times}x-data", HostileClass.InterlacedLongData, png, "png"));
        }
    }

    private static void AddAncillaryBombs(List<HostileCase> cases, IReadOnlyList<Photo> photos)
    {
        var basePng = photos[0].Png;
        foreach (var type in new[] { "zTXt", "iTXt", "iCCP" })
        {
            foreach (var mebibytes in new[] { 16, 64, 256 })
            {
                foreach (var before in new[] { "IDAT", "IEND" })
                {
                    var bomb = PngChunks.Insert(basePng, before, TextBomb(type, (long)mebibytes << 20));
                    cases.Add(Decodes($"ancillary-bomb/{type}-{mebibytes}MiB-before-{before}", HostileClass.AncillaryChunkBomb, bomb, "png"));
                }
            }

            var four = Enumerable.Repeat(TextBomb(type, BombInflatedBytes), 4).ToArray();
            cases.Add(Decodes($"ancillary-bomb/{type}-4x256MiB", HostileClass.AncillaryChunkBomb, PngChunks.Insert(basePng, "IDAT", four), "png"));
        }

        var junk = new byte[8 << 20];
        new Random(7).NextBytes(junk);
        cases.Add(Decodes("ancillary-bomb/eXIf-8MiB-junk", HostileClass.AncillaryChunkBomb, PngChunks.Insert(basePng, "IDAT", PngChunks.Chunk("eXIf", junk)), "png"));
        cases.Add(Decodes("ancillary-bomb/tEXt-8MiB", HostileClass.AncillaryChunkBomb, PngChunks.Insert(basePng, "IDAT", PngChunks.Chunk("tEXt", [.. "Comment"u8, 0, .. Repeat("lorem ipsum "u8.ToArray(), 700_000)])), "png"));
        cases.Add(Decodes("ancillary-bomb/private-8MiB", HostileClass.AncillaryChunkBomb, PngChunks.Insert(basePng, "IDAT", PngChunks.Chunk("prVt", junk)), "png"));
    }

    private static byte[] TextBomb(string type, long inflatedBytes) => type switch
    {
        "zTXt" => PngChunks.Chunk("zTXt", [.. "Comment"u8, 0, 0, .. Zeros(inflatedBytes)]),
        "iTXt" => PngChunks.Chunk("iTXt", [.. "Comment"u8, 0, 1, 0, 0, 0, .. Zeros(inflatedBytes)]),
        _ => PngChunks.Chunk("iCCP", [.. "ICC profile"u8, 0, 0, .. Zeros(inflatedBytes)]),
    };

    private static void AddHugeDeclaredSizes(List<HostileCase> cases, IReadOnlyList<Photo> photos)
    {
        foreach (var (width, height) in new (uint, uint)[] { (100_000, 100_000), (65_536, 65_536), (16_385, 16), (16, 16_385), (7000, 6000), (0x8000_0000, 1), (uint.MaxValue, uint.MaxValue), (1, 40_000_001) })
        {
            cases.Add(TooLarge($"huge-size/png-header-only-{width}x{height}", PngChunks.File(PngChunks.Header(width, height)), "png"));
            var patched = PngChunks.File([PngChunks.Header(width, height), .. PngChunks.Read(photos[0].Png).Skip(1).Select(c => PngChunks.Chunk(c.Type, photos[0].Png.AsSpan(c.Offset, c.Length)))]);
            cases.Add(TooLarge($"huge-size/png-with-data-{width}x{height}", patched, "png"));
        }

        cases.Add(Fails("huge-size/png-0x0", HostileClass.HugeDeclaredSize, PngChunks.File(PngChunks.Header(0, 0)), "png", ImageFailureReason.Corrupt));
        foreach (var (width, height) in new (ushort, ushort)[] { (65_535, 65_535), (16_385, 10), (10, 16_385), (8000, 5001) })
        {
            cases.Add(TooLarge($"huge-size/jpeg-{width}x{height}", JpegSegments.WithDeclaredSize(photos[0].Jpeg, width, height), "jpeg"));
            cases.Add(TooLarge($"huge-size/progressive-jpeg-{width}x{height}", JpegSegments.WithDeclaredSize(ProgressiveJpegWriter.Write(64, 48, 3, Pattern, 4), width, height), "jpeg"));
        }

        cases.Add(Fails("huge-size/jpeg-zero-width", HostileClass.HugeDeclaredSize, JpegSegments.WithDeclaredSize(photos[0].Jpeg, 0, 100), "jpeg", ImageFailureReason.Corrupt));
        foreach (var (width, height) in new (ushort, ushort)[] { (65_535, 65_535), (16_385, 1), (8000, 8000) })
        {
            var gif = (byte[])photos[0].Gif.Clone();
            BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(6), width);
            BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(8), height);
            cases.Add(TooLarge($"huge-size/gif-{width}x{height}", gif, "gif"));
        }

        foreach (var side in new[] { 1 << 24, 100_000, 16_385 })
        {
            cases.Add(TooLarge($"huge-size/webp-vp8x-canvas-{side}", Riff(Vp8X(0, side, side), WebPImageChunk(photos[0].WebP)), "webp"));
        }

        var lossless = (byte[])photos[0].LosslessWebP.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(lossless.AsSpan(21), (16_383u) | (16_383u << 14) | (BinaryPrimitives.ReadUInt32LittleEndian(lossless.AsSpan(21)) & 0xF000_0000u));
        cases.Add(TooLarge("huge-size/webp-lossless-16384x16384", lossless, "webp"));
        var lossy = (byte[])photos[0].WebP.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(lossy.AsSpan(26), 16_383);
        BinaryPrimitives.WriteUInt16LittleEndian(lossy.AsSpan(28), 16_383);
        cases.Add(TooLarge("huge-size/webp-lossy-16383x16383", lossy, "webp"));
        foreach (var (width, height) in new (int, int)[] { (100_000, 100_000), (100_000, -100_000), (16_385, 1), (40_000, 40_000) })
        {
            cases.Add(TooLarge($"huge-size/bmp-{width}x{height}", BmpHeader(width, height, 24), "bmp"));
        }

        cases.Add(Fails("huge-size/bmp-0-wide", HostileClass.HugeDeclaredSize, BmpHeader(0, 10, 24), "bmp", ImageFailureReason.Corrupt));
        cases.Add(TooLarge("huge-size/tiff-100000x100000", TiffHeader(100_000, 100_000), "tiff"));
        cases.Add(TooLarge("huge-size/tiff-16385x1", TiffHeader(16_385, 1), "tiff"));
    }

    private static void AddProgressiveScanFloods(List<HostileCase> cases)
    {
        cases.Add(Fails("progressive/4000x4000-grey-3000-scans", HostileClass.ProgressiveScanFlood, ProgressiveScanFlood(), "jpeg", ImageFailureReason.TooComplex));
        foreach (var (width, height, components, scans) in new[] { (2000, 1500, 3, 1000), (1000, 1000, 1, 5000), (640, 480, 3, 50), (640, 480, 3, 100), (640, 480, 3, 200), (640, 480, 1, 1000), (64, 64, 1, 50), (64, 64, 3, 10_000) })
        {
            cases.Add(Fails($"progressive/{width}x{height}x{components}-{scans + 1}-scans", HostileClass.ProgressiveScanFlood, ProgressiveJpegWriter.Write(width, height, components, Pattern, scans), "jpeg", ImageFailureReason.TooComplex));
        }

        // Within the cap (50 scans, counting the DC scan): these must decode.
        foreach (var (width, height, components, scans) in new[] { (640, 480, 3, 0), (640, 480, 3, 9), (640, 480, 3, 49), (64, 64, 1, 49), (1600, 1200, 1, 30) })
        {
            cases.Add(Decodes($"progressive/{width}x{height}x{components}-{scans + 1}-scans", HostileClass.ProgressiveScanFlood, ProgressiveJpegWriter.Write(width, height, components, Pattern, scans), "jpeg"));
        }
    }

    private static void AddRestartIntervalAbuse(List<HostileCase> cases, IReadOnlyList<Photo> photos)
    {
        foreach (var photo in photos.Take(2))
        {
            foreach (var interval in new ushort[] { 1, 2, 3, 16, 255, 4096, 65_535 })
            {
                var withInterval = JpegSegments.InsertBefore(photo.Jpeg, 0xDA, [RestartInterval(interval)]);
                cases.Add(Either($"restart/{photo.Name}/interval-{interval}-no-markers", HostileClass.RestartIntervalAbuse, withInterval, "jpeg"));
            }

            cases.Add(Decodes($"restart/{photo.Name}/interval-0", HostileClass.RestartIntervalAbuse, JpegSegments.InsertBefore(photo.Jpeg, 0xDA, [RestartInterval(0)]), "jpeg"));
            cases.Add(Fails($"restart/{photo.Name}/interval-segment-of-5-bytes", HostileClass.RestartIntervalAbuse, JpegSegments.InsertBefore(photo.Jpeg, 0xDA, [JpegSegments.Segment(0xDD, [0, 8, 0])]), "jpeg", ImageFailureReason.Corrupt));
            foreach (var every in new[] { 1024, 64, 8 })
            {
                cases.Add(Either($"restart/{photo.Name}/markers-every-{every}-bytes", HostileClass.RestartIntervalAbuse, WithRestartMarkers(photo.Jpeg, every), "jpeg"));
                var both = JpegSegments.InsertBefore(WithRestartMarkers(photo.Jpeg, every), 0xDA, [RestartInterval(1)]);
                cases.Add(Either($"restart/{photo.Name}/interval-1-markers-every-{every}-bytes", HostileClass.RestartIntervalAbuse, both, "jpeg"));
            }
        }

        var tiny = SkiaEncoding.Jpeg(TestImages.Gradient(16, 16));
        cases.Add(Fails("restart/16x16-marker-after-every-byte", HostileClass.RestartIntervalAbuse, WithRestartMarkers(tiny, 1), "jpeg", ImageFailureReason.Corrupt));
    }

    private static byte[] RestartInterval(ushort interval) => JpegSegments.Segment(0xDD, [(byte)(interval >> 8), (byte)interval]);

    /// <summary>Restart markers (RST0…RST7 in turn) pushed into the entropy-coded data every few bytes.</summary>
    private static byte[] WithRestartMarkers(byte[] jpeg, int every)
    {
        var scan = JpegSegments.Find(jpeg, 0xDA);
        var dataStart = scan + 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(scan + 2));
        var output = new List<byte>(jpeg.Length * 2);
        output.AddRange(jpeg.AsSpan(0, dataStart));
        var inserted = 0;
        for (var i = dataStart; i < jpeg.Length - 2; i++)
        {
            output.Add(jpeg[i]);
            if ((i - dataStart) % every == every - 1 && jpeg[i] != 0xFF)
            {
                output.AddRange([0xFF, (byte)(0xD0 + (inserted++ % 8))]);
            }
        }

        output.AddRange(jpeg.AsSpan(jpeg.Length - 2));
        return [.. output];
    }

    private static void AddMarkerFloods(List<HostileCase> cases, IReadOnlyList<Photo> photos)
    {
        foreach (var photo in photos.Take(2))
        {
            var comment = JpegSegments.Segment(0xFE, "hi"u8);
            foreach (var count in new[] { 100, 900 })
            {
                cases.Add(Decodes($"markers/{photo.Name}/{count}-comments", HostileClass.JpegMarkerFlood, JpegSegments.InsertBefore(photo.Jpeg, 0xDA, Enumerable.Repeat(comment, count)), "jpeg"));
            }

            foreach (var count in new[] { 1001, 5000, 50_000 })
            {
                cases.Add(TooComplex($"markers/{photo.Name}/{count}-comments", JpegSegments.InsertBefore(photo.Jpeg, 0xDA, Enumerable.Repeat(comment, count))));
            }

            var exif = JpegSegments.Segment(0xE1, [.. "Exif\0\0"u8, .. new byte[200]]);
            cases.Add(TooComplex($"markers/{photo.Name}/2000-app1", JpegSegments.InsertBefore(photo.Jpeg, 0xC0, Enumerable.Repeat(exif, 2000))));
            var table = JpegSegments.Find(photo.Jpeg, 0xDB);
            var quantisation = photo.Jpeg.AsSpan(table, 2 + BinaryPrimitives.ReadUInt16BigEndian(photo.Jpeg.AsSpan(table + 2))).ToArray();
            cases.Add(TooComplex($"markers/{photo.Name}/3000-quantisation-tables", JpegSegments.InsertBefore(photo.Jpeg, 0xDA, Enumerable.Repeat(quantisation, 3000))));
            cases.Add(TooComplex($"markers/{photo.Name}/2000-standalone-markers", JpegSegments.InsertBefore(photo.Jpeg, 0xDA, Enumerable.Repeat(new byte[] { 0xFF, 0x01 }, 2000))));
        }
    }

    private static void AddGifFrameFloods(List<HostileCase> cases, IReadOnlyList<Photo> photos)
    {
        // One 1×1 frame: graphic control (10 ms), descriptor at (0, 0), LZW of one pixel (clear, 0, end).
        byte[] tinyFrame = [0x21, 0xF9, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00];
        byte[] hugeFrame = [0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00];
        foreach (var photo in photos.Take(2))
        {
            var first = photo.Gif[..^1];
            foreach (var frames in new[] { 1000, 5000, 20_000, 100_000 })
            {
                cases.Add(Decodes($"gif-frames/{photo.Name}/{frames}-more-frames", HostileClass.GifFrameFlood, [.. first, .. Repeat(tinyFrame, frames), 0x3B], "gif"));
            }

            cases.Add(Decodes($"gif-frames/{photo.Name}/5000-frames-declaring-65535x65535", HostileClass.GifFrameFlood, [.. first, .. Repeat(hugeFrame, 5000), 0x3B], "gif"));
            cases.Add(Decodes($"gif-frames/{photo.Name}/5000-frames-no-trailer", HostileClass.GifFrameFlood, [.. first, .. Repeat(tinyFrame, 5000)], "gif"));
        }

        // A 2000×2000 screen whose first frame is one pixel, then 10000 more.
        byte[] screen = [.. "GIF89a"u8, 0xD0, 0x07, 0xD0, 0x07, 0x80, 0, 0, 0, 0, 0, 255, 255, 255];
        cases.Add(Decodes("gif-frames/2000x2000-screen-1x1-frames-10001", HostileClass.GifFrameFlood, [.. screen, .. Repeat(tinyFrame, 10_001), 0x3B], "gif"));
    }

    private static void AddLyingWebPs(List<HostileCase> cases, IReadOnlyList<Photo> photos)
    {
        foreach (var (name, webp) in photos.Take(2).SelectMany(p => new[] { ($"{p.Name}.lossy", p.WebP), ($"{p.Name}.lossless", p.LosslessWebP) }))
        {
            var chunkSize = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(16));
            cases.Add(Fails($"webp-lies/{name}/riff-8-bytes-long", HostileClass.WebPLyingChunk, WithUInt32(webp, 4, (uint)webp.Length), "webp", ImageFailureReason.Corrupt));
            cases.Add(Fails($"webp-lies/{name}/riff-4-GiB", HostileClass.WebPLyingChunk, WithUInt32(webp, 4, 0xFFFF_FFF0), "webp", ImageFailureReason.Corrupt));
            cases.Add(Fails($"webp-lies/{name}/riff-4-bytes", HostileClass.WebPLyingChunk, WithUInt32(webp, 4, 4), "webp", ImageFailureReason.Corrupt));
            cases.Add(Fails($"webp-lies/{name}/riff-short-by-100", HostileClass.WebPLyingChunk, WithUInt32(webp, 4, (uint)webp.Length - 108), "webp", ImageFailureReason.Corrupt));
            cases.Add(Fails($"webp-lies/{name}/chunk-4-GiB", HostileClass.WebPLyingChunk, WithUInt32(webp, 16, 0xFFFF_FFF0), "webp", ImageFailureReason.Corrupt));
            cases.Add(Fails($"webp-lies/{name}/chunk-0-bytes", HostileClass.WebPLyingChunk, WithUInt32(webp, 16, 0), "webp", ImageFailureReason.Corrupt));
            cases.Add(Fails($"webp-lies/{name}/chunk-1-byte", HostileClass.WebPLyingChunk, WithUInt32(webp, 16, 1), "webp", ImageFailureReason.Corrupt));
            cases.Add(Either($"webp-lies/{name}/chunk-short-by-50", HostileClass.WebPLyingChunk, WithUInt32(webp, 16, chunkSize - 50), "webp"));
            var padded = WithUInt32(WithUInt32([.. webp, .. new byte[50]], 16, chunkSize + 50), 4, (uint)webp.Length + 42);
            cases.Add(Either($"webp-lies/{name}/chunk-long-by-50", HostileClass.WebPLyingChunk, padded, "webp"));
            var (width, height) = WebPSize(webp);
            cases.Add(Decodes($"webp-lies/{name}/extended-honest", HostileClass.WebPLyingChunk, Riff(Vp8X(0, width, height), WebPImageChunk(webp)), "webp"));
            cases.Add(Either($"webp-lies/{name}/extended-canvas-one-wider", HostileClass.WebPLyingChunk, Riff(Vp8X(0, width + 1, height), WebPImageChunk(webp)), "webp"));
            cases.Add(Fails($"webp-lies/{name}/iccp-past-container", HostileClass.WebPLyingChunk, Riff(Vp8X(0x20, width, height), [.. "ICCP"u8, 0xF0, 0xFF, 0xFF, 0x0F, .. WebPImageChunk(webp)]), "webp", ImageFailureReason.Corrupt));
        }

        using var red = new Image<Rgb24>(1, 1, new Rgb24(200, 40, 40));
        var pixel = WebPImageChunk(SkiaEncoding.WebP(red, lossless: true));
        byte[] frame = [.. "ANMF"u8, .. LittleEndian((uint)(16 + pixel.Length)), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, .. pixel];
        byte[] animation = [.. "ANIM"u8, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        foreach (var frames in new[] { 10, 500 })
        {
            cases.Add(Decodes($"webp-lies/animation-{frames}-frames", HostileClass.WebPLyingChunk, Riff(Vp8X(0x02, 1, 1), [.. animation, .. Repeat(frame, frames)]), "webp"));
        }

        foreach (var frames in new[] { 1500, 20_000 })
        {
            cases.Add(Fails($"webp-lies/animation-{frames}-frames", HostileClass.WebPLyingChunk, Riff(Vp8X(0x02, 1, 1), [.. animation, .. Repeat(frame, frames)]), "webp", ImageFailureReason.TooComplex));
        }

        cases.Add(Fails("webp-lies/3000-unknown-chunks", HostileClass.WebPLyingChunk, Riff(Vp8X(0, 1, 1), [.. Repeat([.. "JUNK"u8, 0, 0, 0, 0], 3000), .. pixel]), "webp", ImageFailureReason.TooComplex));
    }

    private static void AddNotAnImageBodies(List<HostileCase> cases, Random random)
    {
        var bodies = new List<(string Name, byte[] Data)> { ("empty", []), ("one-byte", [0x42]) };
        foreach (var length in new[] { 16, 4096, 1 << 20 })
        {
            var noise = new byte[length];
            random.NextBytes(noise);
            noise[0] = 0x00; // never an accidental signature
            bodies.Add(($"random-{length}", noise));
        }

        bodies.Add(("text", "this is not a picture, just words in a file called photo.jpg"u8.ToArray()));
        bodies.Add(("html", "<!DOCTYPE html><html><body><img src=cat.jpg></body></html>"u8.ToArray()));
        bodies.Add(("json", """{"image": "aGVsbG8=", "width": 640}"""u8.ToArray()));
        bodies.Add(("gif-word", "GIF is pronounced with a hard g, whatever they say."u8.ToArray()));
        bodies.Add(("riff-wave", [.. "RIFF"u8, 36, 0, 0, 0, .. "WAVEfmt "u8, .. new byte[24]]));
        foreach (var contentType in BodyContentTypes)
        {
            foreach (var (name, data) in bodies)
            {
                cases.Add(new($"not-an-image/{name}/{contentType}", HostileClass.NotAnImageBody, data, contentType, HostileOutcome.Fails, ImageFailureReason.NotAnImage));
            }
        }
    }

    private static HostileCase Fails(string name, HostileClass @class, byte[] data, string format, ImageFailureReason reason) =>
        new(name, @class, data, ContentType(format), HostileOutcome.Fails, reason);

    private static HostileCase Decodes(string name, HostileClass @class, byte[] data, string format) =>
        new(name, @class, data, ContentType(format), HostileOutcome.Decodes);

    private static HostileCase Either(string name, HostileClass @class, byte[] data, string format) =>
        new(name, @class, data, ContentType(format), HostileOutcome.Either);

    private static HostileCase TooLarge(string name, byte[] data, string format) =>
        Fails(name, HostileClass.HugeDeclaredSize, data, format, ImageFailureReason.TooLarge);

    private static HostileCase TooComplex(string name, byte[] data) =>
        Fails(name, HostileClass.JpegMarkerFlood, data, "jpeg", ImageFailureReason.TooComplex);

    private static string ContentType(string format) => format switch
    {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        _ => "image/tiff",
    };

    private static byte[] Zeros(long inflatedBytes) =>
        ZerosByLength.GetOrAdd(inflatedBytes, n => new Lazy<byte[]>(() => PngChunks.ZlibOfZeros(n))).Value;

    private static byte Pattern(int x, int y, int component) => (byte)(((x >> 2) + (y >> 3) + (component * 70)) & 0xFF);

    private static byte[] Repeat(byte[] block, int count)
    {
        var output = new byte[block.Length * count];
        for (var i = 0; i < count; i++)
        {
            block.CopyTo(output, i * block.Length);
        }

        return output;
    }

    private static byte[] LittleEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] WithUInt32(byte[] data, int offset, uint value)
    {
        var copy = (byte[])data.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }

    /// <summary>The bitstream size of a simple-format (VP8 or VP8L) WebP.</summary>
    private static (int Width, int Height) WebPSize(byte[] webp)
    {
        if (webp.AsSpan(12).StartsWith("VP8L"u8))
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(21));
            return (1 + (int)(bits & 0x3FFF), 1 + (int)((bits >> 14) & 0x3FFF));
        }

        return (BinaryPrimitives.ReadUInt16LittleEndian(webp.AsSpan(26)) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(webp.AsSpan(28)) & 0x3FFF);
    }

    /// <summary>The image chunk (VP8 or VP8L, with header and padding) of a simple-format WebP.</summary>
    private static byte[] WebPImageChunk(byte[] webp) => webp[12..];

    private static byte[] Vp8X(byte flags, int width, int height)
    {
        var chunk = new byte[18];
        "VP8X"u8.CopyTo(chunk);
        chunk[4] = 10;
        chunk[8] = flags;
        var w = (uint)(width - 1);
        var h = (uint)(height - 1);
        chunk[12] = (byte)w;
        chunk[13] = (byte)(w >> 8);
        chunk[14] = (byte)(w >> 16);
        chunk[15] = (byte)h;
        chunk[16] = (byte)(h >> 8);
        chunk[17] = (byte)(h >> 16);
        return chunk;
    }

    private static byte[] Riff(params byte[][] chunks)
    {
        var body = chunks.SelectMany(c => c).ToArray();
        return [.. "RIFF"u8, .. LittleEndian((uint)(4 + body.Length)), .. "WEBP"u8, .. body];
    }

    private static byte[] BmpHeader(int width, int height, ushort bitsPerPixel)
    {
        var header = new byte[54];
        "BM"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(2), 54);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(10), 54);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(22), height);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(26), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(28), bitsPerPixel);
        return header;
    }

    private static byte[] TiffHeader(uint width, uint height)
    {
        var tiff = new byte[8 + 2 + (3 * 12) + 4];
        "II*\0"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), 3);
        foreach (var (i, tag, value) in new (int, ushort, uint)[] { (0, 256, width), (1, 257, height), (2, 259, 1) })
        {
            var entry = tiff.AsSpan(10 + (12 * i));
            BinaryPrimitives.WriteUInt16LittleEndian(entry, tag);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], 4);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], 1);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], value);
        }

        return tiff;
    }

    private static List<Photo> LoadPhotos()
    {
        var fromFixtures = FixturePhotos.All(p => File.Exists(YoloxFixture.Photo(p)));
        var photos = new List<Photo>();
        for (var i = 0; i < FixturePhotos.Length; i++)
        {
            var file = fromFixtures ? File.ReadAllBytes(YoloxFixture.Photo(FixturePhotos[i])) : null;
            using var image = file is not null ? Image.Load<Rgb24>(file) : SyntheticPhoto.Create(480, 320, seed: i + 1);
            var name = fromFixtures ? Path.GetFileNameWithoutExtension(FixturePhotos[i]) : $"synthetic-{i + 1}";
            photos.Add(Photo.Encode(name, image, file));
        }

        return photos;
    }

    private sealed record Photo(string Name, byte[] Jpeg, byte[] Png, byte[] WebP, byte[] Gif, byte[] InterlacedPng, byte[] LosslessWebP, byte[] Bmp, byte[] Tiff)
    {
        public IEnumerable<(string Format, byte[] Data)> WebFormats => [("jpeg", Jpeg), ("png", Png), ("webp", WebP), ("gif", Gif)];

        /// <summary>The original file where it is already JPEG or PNG; Skia's encoders otherwise, ImageSharp's where Skia has none.</summary>
        public static Photo Encode(string name, Image<Rgb24> image, byte[]? original)
        {
            image.Metadata.ExifProfile = null;
            image.Metadata.IccProfile = null;
            using var small = image.Clone(x => x.Resize(image.Width / 4, 0));
            var isJpeg = original is [0xFF, 0xD8, ..];
            return new Photo(
                name,
                isJpeg ? original! : SkiaEncoding.Jpeg(image),
                original is not null && !isJpeg ? original : SkiaEncoding.Png(image),
                SkiaEncoding.WebP(image),
                TestImages.Encode(image, new GifEncoder()),
                TestImages.Encode(image, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 }),
                SkiaEncoding.WebP(small, quality: 75, lossless: true),
                TestImages.Encode(small, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }),
                TiffWriter.Write(small));
        }
    }
}
