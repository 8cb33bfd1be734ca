namespace Inference.Testing;

/// <summary>
/// Files a test leaves behind for people to look at (annotated images, screenshots): under
/// <c>INFERENCE_ARTIFACTS</c>, else <c>TestResults/artifacts</c> in the checkout, beside the TRX results CI keeps.
/// </summary>
public static class TestArtifacts
{
    public static string Directory { get; } =
        Environment.GetEnvironmentVariable("INFERENCE_ARTIFACTS") is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(RepositoryPaths.Root, "TestResults", "artifacts");

    /// <summary>The path a named artefact is written to; its folder exists.</summary>
    public static string PathFor(string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        return Path.Combine(Directory, name);
    }

    public static string Save(string name, ReadOnlySpan<byte> bytes)
    {
        var path = PathFor(name);
        File.WriteAllBytes(path, bytes.ToArray());
        return path;
    }
}
