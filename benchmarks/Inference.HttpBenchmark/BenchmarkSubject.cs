using Inference.Core.Backends;
using Inference.Core.Model;
using Inference.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Inference.HttpBenchmark;

/// <summary>
/// The model under test and its workloads: YOLOX-Nano (else the demo model) on the fixture photos as 640×427 JPEGs
/// (a web photo) and as 4032×3024 JPEGs (a 12 MP phone photo), encoded as a camera would (quality 90).
/// </summary>
internal sealed record BenchmarkSubject(string Name, string ManifestPath, ModelManifest Manifest, string WeightsPath, IReadOnlyList<byte[]> Jpegs, IReadOnlyList<byte[]> PhoneJpegs)
{
    /// <summary>
    /// The provider every figure of the run uses (raw ORT, in-process and the service): <c>Inference__ExecutionProvider</c>
    /// as the service reads it, <c>cpu</c> when unset. <c>cuda</c> fails where CUDA does not load, never measuring the CPU instead.
    /// </summary>
    public static ExecutionProviderPreference Provider { get; } =
        Environment.GetEnvironmentVariable("Inference__ExecutionProvider") is { Length: > 0 } name
            ? Enum.Parse<ExecutionProviderPreference>(name, ignoreCase: true)
            : ExecutionProviderPreference.Cpu;

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
        var demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
        var samples = Directory.GetFiles(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples"), "*.png").Select(File.ReadAllBytes).ToArray();
        return new BenchmarkSubject("shapes-demo", RepositoryPaths.DemoManifest, demo, demo.ResolvePath(demo.Weights!), Encode(samples, 640, 427), Encode(samples, 4032, 3024));
    }

    /// <summary>
    /// YOLOX-Nano and its photos from any folder (the checkout's fixtures, or the GPU bundle with no checkout around);
    /// the workloads are the fixture photos in the order of <see cref="YoloxFixture.ExpectedDetections"/>.
    /// </summary>
    public static BenchmarkSubject Yolox(string modelDirectory, string photosDirectory, string workDirectory)
    {
        var weights = Path.Combine(modelDirectory, YoloxFixture.DynamicModel);
        var manifest = YoloxFixture.Manifest(modelDirectory) with { Weights = weights };
        var path = Path.Combine(workDirectory, "yolox-manifest.json");
        File.WriteAllText(path, manifest.ToJson());
        var originals = YoloxFixture.ExpectedDetections.Keys.Select(p => File.ReadAllBytes(Path.Combine(photosDirectory, p))).ToArray();
        return new BenchmarkSubject("yolox-nano", path, ModelManifest.Load(path), weights, Encode(originals, 640, 427), Encode(originals, 4032, 3024))
        {
            Originals = originals,
        };
    }

    private static byte[][] Encode(IEnumerable<byte[]> files, int width, int height) =>
        [.. files.Select(file =>
        {
            using var image = Image.Load<Rgb24>(file);
            image.Mutate(x => x.Resize(width, height, KnownResamplers.Bicubic));
            return SkiaEncoding.Jpeg(image, quality: 90);
        })];
}
