using Inference.Core.Model;
using Inference.Core.Pipeline;

namespace Inference.Testing;

/// <summary>The committed demo model, loaded once per test class on the CPU.</summary>
public sealed class DemoModelFixture : IDisposable
{
    public DemoModelFixture()
    {
        Manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);
        Detector = OnnxDetector.Load(Manifest.ResolvePath(Manifest.Weights!), Manifest, new DetectorOptions { ExecutionProvider = ExecutionProviderPreference.Cpu });
        Pipeline = new DetectionPipeline(Detector);
    }

    public ModelManifest Manifest { get; }

    public OnnxDetector Detector { get; }

    public DetectionPipeline Pipeline { get; }

    public void Dispose() => Detector.Dispose();
}
