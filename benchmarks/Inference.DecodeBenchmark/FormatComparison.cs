using Inference.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.DecodeBenchmark;

/// <summary>Median milliseconds for one format and size: the old path, each library at full size, and the new path.</summary>
internal sealed record FormatRow(string Format, string Size, int Images, double ImageSharpFull, double SkiaFull, double NewPath);

/// <summary>
/// ImageSharp's full decode (the old path: Image.Load to RGB), the new decoder at full size (Skia, or ImageSharp
/// for TIFF, behind the structure checks) and the new path as the service runs it (for a 416×416 input, which
/// DCT-scales JPEGs). For the photos the figure is the mean of each photo's median.
/// </summary>
internal static class FormatComparison
{
    private static readonly ImageTarget Model416 = new(416, 416);

    public static IEnumerable<FormatRow> Measure(IReadOnlyList<EncodedImage> inputs, int rounds)
    {
        var decoder = new ImageDecoder();
        foreach (var group in inputs.GroupBy(i => (i.Format, i.Size)))
        {
            var medians = group.Select(input => Medians.Interleaved(
                rounds,
                () => Image.Load<Rgb24>(input.Data).Dispose(),
                () => decoder.Decode(input.Data, ImageTarget.Full, default).Dispose(),
                () => decoder.Decode(input.Data, Model416, default).Dispose())).ToArray();
            var row = new FormatRow(group.Key.Format, group.Key.Size, medians.Length, medians.Average(m => m[0]), medians.Average(m => m[1]), medians.Average(m => m[2]));
            Console.WriteLine($"{row.Format} {row.Size}: ImageSharp {row.ImageSharpFull:0.00} ms, new full {row.SkiaFull:0.00} ms, new path {row.NewPath:0.00} ms");
            yield return row;
        }
    }

    /// <summary>The one call the time budget cannot interrupt: libwebp decoding a 40 MP image.</summary>
    public static double WebP40Mp(int rounds)
    {
        var webp = DecodeInputs.WebP40Mp();
        var decoder = new ImageDecoder();
        return Medians.Interleaved(rounds, () => decoder.Decode(webp, Model416, default).Dispose())[0];
    }
}
