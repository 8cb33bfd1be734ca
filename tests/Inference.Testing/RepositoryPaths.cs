namespace Inference.Testing;

/// <summary>Where the repository, its demo model and the shared fixtures are, wherever the tests run from.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> FoundRoot = new(FindRoot);

    /// <summary>The checkout; found on first use, so code that runs outside one (the GPU bundle) can use the rest.</summary>
    public static string Root => FoundRoot.Value;

    public static string DemoModelDirectory => Path.Combine(Root, "models", "shapes-demo");

    public static string DemoManifest => Path.Combine(DemoModelDirectory, "manifest.json");

    /// <summary><c>INFERENCE_FIXTURES</c>, else <c>../shared/fixtures</c> beside the checkout.</summary>
    public static string Fixtures =>
        Environment.GetEnvironmentVariable("INFERENCE_FIXTURES") is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.GetFullPath(Path.Combine(Root, "..", "shared", "fixtures"));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Inference.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Inference.sln above {AppContext.BaseDirectory}.");
    }
}
