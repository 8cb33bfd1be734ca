using Inference.Core.Backends;
using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Core.Scheduling;
using Inference.Core.Serving;

namespace Inference.Testing;

/// <summary>The shared YOLOX-Nano files and photos (../shared/fixtures); absent in a bare clone, so tests skip.</summary>
public static class YoloxFixture
{
    public const string DynamicModel = "yolox_nano.onnx";
    public const string StaticModel = "yolox_nano_static.onnx";

    public static string ModelDirectory => Path.Combine(RepositoryPaths.Fixtures, "models", "yolox-nano");

    public static string Photo(string name) => Path.Combine(RepositoryPaths.Fixtures, "photos", name);

    public static string SkipReason => $"The shared fixtures are not at {RepositoryPaths.Fixtures} (set INFERENCE_FIXTURES to point at them).";

    public static bool Available => File.Exists(Path.Combine(ModelDirectory, DynamicModel));

    /// <summary>What a correct pipeline finds on each fixture photo (the fixtures README): classes, scores ± 0.05, boxes ± 3 px.</summary>
    public static IReadOnlyDictionary<string, FixtureDetection[]> ExpectedDetections { get; } = new Dictionary<string, FixtureDetection[]>
    {
        ["astronaut.png"] = [new("person", 0.925f, new BoundingBox(11, 20, 368, 507))],
        ["chelsea.png"] = [new("cat", 0.623f, new BoundingBox(0, 0, 450, 300))],
        ["coffee.png"] = [new("cup", 0.900f, new BoundingBox(162, 15, 422, 293)), new("dining table", 0.731f, new BoundingBox(0, 0, 598, 398))],
        ["rocket.jpg"] = [],
    };

    public const float BoxTolerance = 3;
    public const float ScoreTolerance = 0.05f;

    /// <summary>Null when <paramref name="actual"/> is what the photo should give; otherwise a sentence saying what differs.</summary>
    public static string? Mismatch(IReadOnlyList<FixtureDetection> expected, IReadOnlyList<Detection> actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var description = string.Join("; ", actual.Select(d => $"{d.ClassName} {d.Confidence:0.000} ({d.Box.X1:0},{d.Box.Y1:0})-({d.Box.X2:0},{d.Box.Y2:0})"));
        if (expected.Count != actual.Count)
        {
            return $"Expected {expected.Count} detections, got: {description}";
        }

        foreach (var (cls, score, box) in expected)
        {
            var match = actual.SingleOrDefault(d => d.ClassName == cls);
            if (match is null)
            {
                return $"No {cls} among: {description}";
            }

            if (Math.Abs(match.Confidence - score) > ScoreTolerance)
            {
                return $"{cls} scored {match.Confidence:0.000}, expected {score:0.000}.";
            }

            if (Math.Abs(match.Box.X1 - box.X1) > BoxTolerance || Math.Abs(match.Box.Y1 - box.Y1) > BoxTolerance ||
                Math.Abs(match.Box.X2 - box.X2) > BoxTolerance || Math.Abs(match.Box.Y2 - box.Y2) > BoxTolerance)
            {
                return $"{cls} box {match.Box} is not within ({box.X1},{box.Y1})-({box.X2},{box.Y2}) ± {BoxTolerance}.";
            }
        }

        return null;
    }

    /// <summary>The input the fixtures README verified: 416², top-left letterbox, BGR, raw 0–255 (needs no shared file).</summary>
    public static ModelInput Input => new()
    {
        Width = 416,
        Height = 416,
        ChannelOrder = ChannelOrder.Bgr,
        PixelScale = PixelScale.Raw,
        Anchor = LetterboxAnchor.TopLeft,
        PadValue = 114,
    };

    /// <summary>The preprocessing the fixtures README verified: top-left letterbox, BGR, raw 0–255, class-agnostic NMS.</summary>
    /// <param name="modelDirectory">Where classes.txt is; the shared fixtures when null.</param>
    public static ModelManifest Manifest(string? modelDirectory = null) => new()
    {
        Name = "yolox-nano",
        Version = "0.1.1rc0",
        Format = OutputFormat.Yolox,
        Input = Input,
        Classes = File.ReadAllLines(Path.Combine(modelDirectory ?? ModelDirectory, "classes.txt")).Where(l => l.Length > 0).ToArray(),
        Postprocess = new PostprocessDefaults { Confidence = 0.3f, Iou = 0.45f, Agnostic = true },
        BaseDirectory = modelDirectory ?? ModelDirectory,
    };

    public static Task<LocalDetector> LoadAsync(string file, BackendOptions? backend = null, BatchingOptions? batching = null, ModelBackendSettings? settings = null) =>
        LocalDetector.LoadAsync(Manifest(), Path.Combine(ModelDirectory, file), backend ?? new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1 }, batching, settings: settings);
}

/// <summary>One detection a fixture photo must give.</summary>
public sealed record FixtureDetection(string Class, float Score, BoundingBox Box);
