using Inference.Core.Model;
using Inference.Core.Serving;
using Xunit;

namespace Inference.Testing;

/// <summary>The committed demo model, loaded once per test class on the CPU through the same loader and service as the host.</summary>
public sealed class DemoModelFixture : IAsyncLifetime
{
    public ModelManifest Manifest { get; } = ModelManifest.Load(RepositoryPaths.DemoManifest);

    public LocalDetector Detector { get; private set; } = null!;

    public async Task InitializeAsync() => Detector = await LocalDetector.LoadAsync(RepositoryPaths.DemoManifest);

    public async Task DisposeAsync() => await Detector.DisposeAsync();
}
