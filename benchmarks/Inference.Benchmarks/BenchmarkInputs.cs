using Inference.Core.Model;
using Inference.DemoModel;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;

namespace Inference.Benchmarks;

/// <summary>Inputs every benchmark shares: generated JPEGs, the YOLOX-Nano fixture and its manifest.</summary>
internal static class BenchmarkInputs
{
    public static string Fixtures { get; } = Path.GetFullPath(
        Environment.GetEnvironmentVariable("INFERENCE_FIXTURES") is { Length: > 0 } configured ? configured : Path.Combine(FindRoot(), "..", "shared", "fixtures"));

    public static string YoloxModel => Path.Combine(Fixtures, "models", "yolox-nano", "yolox_nano.onnx");

    public static string DemoManifest => Path.Combine(FindRoot(), "models", "shapes-demo", "manifest.json");

    public static byte[] Jpeg(int width, int height)
    {
        using var image = SyntheticPhoto.Create(width, height, seed: width);
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = 90 });
        return stream.ToArray();
    }

    /// <summary>The preprocessing the fixtures README verified for YOLOX-Nano.</summary>
    public static ModelManifest YoloxManifest() => new()
    {
        Name = "yolox-nano",
        Version = "0.1.1rc0",
        Input = new ModelInput { Width = 416, Height = 416, ChannelOrder = ChannelOrder.Bgr, PixelScale = PixelScale.Raw, Anchor = LetterboxAnchor.TopLeft },
        Classes = File.ReadAllLines(Path.Combine(Fixtures, "models", "yolox-nano", "classes.txt")).Where(l => l.Length > 0).ToArray(),
        Postprocess = new PostprocessDefaults { Confidence = 0.3f, Agnostic = true },
    };

    public static void RequireFixtures()
    {
        if (!File.Exists(YoloxModel))
        {
            throw new InvalidOperationException($"The benchmarks need the YOLOX-Nano fixture at {YoloxModel} (set INFERENCE_FIXTURES).");
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Inference.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Run the benchmarks from inside the repository.");
    }
}
