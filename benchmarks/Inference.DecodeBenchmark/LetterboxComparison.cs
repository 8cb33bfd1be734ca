using Inference.Core.Imaging;
using Inference.Core.Model;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.DecodeBenchmark;

/// <summary>Decode and letterbox into a 416×416 YOLOX slot: old path (parts) against the new path (one action).</summary>
internal sealed record LetterboxRow(string Image, double OldDecode, double OldLetterbox, double NewDecode, double NewTotal)
{
    public double OldTotal => OldDecode + OldLetterbox;
}

internal static class LetterboxComparison
{
    private static readonly InputSpec Yolox = InputConventions.For(OutputFormat.Yolox, 416, 416);

    /// <summary>
    /// The old path decoded with ImageSharp at full size and letterboxed from every pixel; it is timed in two
    /// parts (ImageSharp's decode, then the letterbox from a full-size image) because the old RGB24 letterbox is
    /// gone. The new path is timed as the service runs it: a DCT-scaled decode, then the letterbox.
    /// </summary>
    public static IEnumerable<LetterboxRow> Measure(int rounds)
    {
        var decoder = new ImageDecoder();
        var slot = new float[LetterboxTensorizer.SlotLength(Yolox)];
        var (jpeg12Mp, jpeg1080p) = DecodeInputs.Jpegs();
        foreach (var (name, jpeg) in new[] { ("4032×3024 JPEG", jpeg12Mp), ("1920×1080 JPEG", jpeg1080p) })
        {
            using var fullSize = decoder.Decode(jpeg, ImageTarget.Full, default);
            var medians = Medians.Interleaved(
                rounds,
                () => Image.Load<Rgb24>(jpeg).Dispose(),
                () => LetterboxTensorizer.Write(fullSize, Yolox, slot),
                () => decoder.Decode(jpeg, ImageTarget.For(Yolox), default).Dispose(),
                () =>
                {
                    using var image = decoder.Decode(jpeg, ImageTarget.For(Yolox), default);
                    LetterboxTensorizer.Write(image, Yolox, slot);
                });
            var row = new LetterboxRow(name, medians[0], medians[1], medians[2], medians[3]);
            Console.WriteLine($"{name} into 416×416: old {row.OldTotal:0.00} ms ({row.OldDecode:0.00} + {row.OldLetterbox:0.00}), new {row.NewTotal:0.00} ms");
            yield return row;
        }
    }
}
