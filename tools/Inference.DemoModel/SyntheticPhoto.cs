using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.DemoModel;

/// <summary>
/// Deterministic camera-like pictures for tests and benchmarks: smooth gradients with sensor-like noise, which
/// give a JPEG encoder (and decoder) realistic work, unlike flat colour.
/// </summary>
public static class SyntheticPhoto
{
    public static Image<Rgb24> Create(int width, int height, int seed = 1)
    {
#pragma warning disable CA5394 // Not security-sensitive: test pictures.
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    var noise = random.Next(-6, 7);
                    row[x] = new Rgb24(
                        (byte)Math.Clamp((x * 255 / width) + noise, 0, 255),
                        (byte)Math.Clamp((y * 255 / height) + noise, 0, 255),
                        (byte)Math.Clamp(((x + y) * 127 / (width + height)) + 64 + noise, 0, 255));
                }
            }
        });
#pragma warning restore CA5394
        return image;
    }
}
