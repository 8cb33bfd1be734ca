using Inference.Core.Backends;
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
    /// <summary>
    /// The provider every figure of the run uses (raw ORT, in-process and the service): <c>Inference__ExecutionProvider</c>
    /// as the service reads it, <c>cpu</c> when unset. <c>cuda</c> fails where CUDA does not load, never measuring the CPU instead.
    /// </summary>
    public static ExecutionProviderPreference Provider { get; } =
        Environment.GetEnvironmentVariable("Inference__ExecutionProvider") is { Length: > 0 } name
            ? Enum.Parse<ExecutionProviderPreference>(name, ignoreCase: true)
            : ExecutionProviderPreference.Cpu;

    /// <summary>The input as the service runs it; both subjects' manifests name their format.</summary>
    public InputSpec Input => InputConventions.Resolve(Manifest.Input, Manifest.Format ?? throw new InvalidOperationException($"{Name}'s manifest names no format.")).Input;

    public static BenchmarkSubject Create(string workDirectory)
    {
        if (YoloxFixture.Available)
        {
            var weights = Path.Combine(YoloxFixture.ModelDirectory, YoloxFixture.DynamicModel);
            var manifest = YoloxFixture.Manifest() with { Weights = weights };
            var path = Path.Combine(workDirectory, "yolox-manifest.json");
            File.WriteAllText(path, manifest.ToJson());
            var photos = new[] { "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg" }
                .Select(p => Jpeg(Image.Load<Rgb24>(YoloxFixture.Photo(p))))
                .ToArray();
            return new BenchmarkSubject("yolox-nano", path, ModelManifest.Load(path), weights, photos);
        }

        Console.Error.WriteLine($"WARNING: {YoloxFixture.SkipReason} Falling back to the demo model.");
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
