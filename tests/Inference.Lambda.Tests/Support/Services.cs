using Inference.Core.Model;
using Inference.Testing;

namespace Inference.Lambda.Tests.Support;

/// <summary>Real service processes (Inference.Api.dll on 127.0.0.1) in the states a release can meet.</summary>
public static class Services
{
    public static ModelManifest Demo { get; } = ModelManifest.Load(RepositoryPaths.DemoManifest);

    public static async Task<ApiProcess> HealthyAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var api = await ApiProcess.StartAsync(environment ?? new Dictionary<string, string>());
        await api.WaitUntilReadyAsync();
        return api;
    }

    /// <summary>Serves a copy of the demo model whose manifest expects the red rectangle 100 px to the right.</summary>
    public static async Task<ApiProcess> WithFailingGoldenCheckAsync(string scratch)
    {
        var copy = Path.Combine(scratch, "shifted-golden");
        Directory.CreateDirectory(Path.Combine(copy, "samples"));
        foreach (var file in Directory.GetFiles(RepositoryPaths.DemoModelDirectory, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(copy, Path.GetRelativePath(RepositoryPaths.DemoModelDirectory, file)), overwrite: true);
        }

        var manifest = Path.Combine(copy, "manifest.json");
        var text = await File.ReadAllTextAsync(manifest);
        var shifted = text.Replace("\"x1\": 44,", "\"x1\": 144,", StringComparison.Ordinal);
        Assert.NotEqual(text, shifted);
        await File.WriteAllTextAsync(manifest, shifted);
        return await HealthyAsync(new Dictionary<string, string> { ["Model__Manifest"] = manifest });
    }

    /// <summary>Pinned to S3 weights behind an endpoint that refuses connections: live, never ready.</summary>
    public static Task<ApiProcess> NeverReadyAsync() => ApiProcess.StartAsync(new Dictionary<string, string>
    {
        ["Model__Uri"] = "s3://models/detector/model.onnx",
        ["Model__VersionId"] = "v1",
        ["Model__Sha256"] = Demo.Sha256!,
        ["S3__ServiceUrl"] = $"http://127.0.0.1:{LoopbackPorts.Free()}",
        ["AWS_ACCESS_KEY_ID"] = "test",
        ["AWS_SECRET_ACCESS_KEY"] = "test",
    });
}
