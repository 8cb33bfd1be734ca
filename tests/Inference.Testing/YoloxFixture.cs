using Inference.Core.Backends;
using Inference.Core.Model;
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

    /// <summary>The preprocessing the fixtures README verified: top-left letterbox, BGR, raw 0–255, class-agnostic NMS.</summary>
    public static ModelManifest Manifest() => new()
    {
        Name = "yolox-nano",
        Version = "0.1.1rc0",
        Format = OutputFormat.Yolox,
        Input = new ModelInput
        {
            Width = 416,
            Height = 416,
            ChannelOrder = ChannelOrder.Bgr,
            PixelScale = PixelScale.Raw,
            Anchor = LetterboxAnchor.TopLeft,
            PadValue = 114,
        },
        Classes = File.ReadAllLines(Path.Combine(ModelDirectory, "classes.txt")).Where(l => l.Length > 0).ToArray(),
        Postprocess = new PostprocessDefaults { Confidence = 0.3f, Iou = 0.45f, Agnostic = true },
        BaseDirectory = ModelDirectory,
    };

    public static Task<LocalDetector> LoadAsync(string file, BackendOptions? backend = null, BatchingOptions? batching = null, ModelBackendSettings? settings = null) =>
        LocalDetector.LoadAsync(Manifest(), Path.Combine(ModelDirectory, file), backend ?? new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1 }, batching, settings: settings);
}
