using Inference.DemoModel;
using Inference.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;

namespace Inference.Benchmarks;

/// <summary>Inputs every stage benchmark shares: generated JPEGs and the YOLOX-Nano fixture.</summary>
internal static class BenchmarkInputs
{
    public static string YoloxModel => Path.Combine(YoloxFixture.ModelDirectory, YoloxFixture.DynamicModel);

    public static byte[] Jpeg(int width, int height)
    {
        using var image = SyntheticPhoto.Create(width, height, seed: width);
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = 90 });
        return stream.ToArray();
    }

    public static void RequireFixtures()
    {
        if (!YoloxFixture.Available)
        {
            throw new InvalidOperationException($"The stage benchmarks need YOLOX-Nano. {YoloxFixture.SkipReason}");
        }
    }
}
