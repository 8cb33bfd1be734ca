using Inference.Core.Model;
using Inference.DemoModel;
using Inference.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Inference.HttpBenchmark;

/// <summary>The model under test and its 640×480 JPEG workload: YOLOX-Nano on the fixture photos, else the demo model.</summary>
internal sealed record BenchmarkSubject(string Name, string ManifestPath, ModelManifest Manifest, string WeightsPath, IReadOnlyList<byte[]> Jpegs)
{
    /// <summary>The photos as they are on disk, for checking detections in original pixels (YOLOX only).</summary>
    public IReadOnlyList<byte[]> Originals { get; init; } = [];

    /// <summary>The input as the service runs it; both subjects' manifests name their format.</summary>
    public InputSpec Input => InputConventions.Resolve(Manifest.Input, Manifest.Format ?? throw new InvalidOperationException($"{Name}'s manifest names no format.")).Input;

    public static BenchmarkSubject Create(string workDirectory)
    {
        if (YoloxFixture.Available)
        {
            return Yolox(YoloxFixture.ModelDirectory, Path.GetDirectoryName(YoloxFixture.Photo("astronaut.png"))!, workDirectory);
        }

        Console.Error.WriteLine($"WARNING: {YoloxFixture.SkipReason} Falling back to the demo model.");
        return Demo();
    }

    /// <summary>YOLOX-Nano and its photos from a folder of their own (the GPU bundle), with no checkout around.</summary>
    /// <summary>The workload JPEGs are the fixture photos in the order of <see cref="YoloxFixture.ExpectedDetections"/>.</summary>
    public static BenchmarkSubject Yolox(string modelDirectory, string photosDirectory, string workDirectory)
    {
        var weights = Path.Combine(modelDirectory, YoloxFixture.DynamicModel);
        var manifest = YoloxFixture.Manifest(modelDirectory) with { Weights = weights };
        var path = Path.Combine(workDirectory, "yolox-manifest.json");
        File.WriteAllText(path, manifest.ToJson());
        var originals = YoloxFixture.ExpectedDetections.Keys.Select(p => File.ReadAllBytes(Path.Combine(photosDirectory, p))).ToArray();
        var photos = originals.Select(p => Jpeg(Image.Load<Rgb24>(p))).ToArray();
        return new BenchmarkSubject("yolox-nano", path, ModelManifest.Load(path), weights, photos) { Originals = originals };
    }

    private static BenchmarkSubject Demo()
    {
        var demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
        var scenes = Enumerable.Range(0, 4).Select(i => Jpeg(SceneGenerator.Random(i, 640, 480, 5).Render())).ToArray();
        return new BenchmarkSubject("shapes-demo", RepositoryPaths.DemoManifest, demo, demo.ResolvePath(demo.Weights!), scenes);
    }

    private static byte[] Jpeg(Image<Rgb24> image)
    {
        using (image)
        {
            image.Mutate(x => x.Resize(640, 480));
            using var stream = new MemoryStream();
            image.SaveAsJpeg(stream, new JpegEncoder { Quality = 90 });
            return stream.ToArray();
        }
    }
}
