namespace Inference.Core.Sources;

/// <summary>Resolves configured relative paths: against the content root first, then the application directory.</summary>
public static class ContentPaths
{
    public static string Resolve(string path, string contentRoot)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        var fromContentRoot = Path.GetFullPath(path, contentRoot);
        if (File.Exists(fromContentRoot))
        {
            return fromContentRoot;
        }

        // 'dotnet run' and containers start from different directories; the embedded model sits beside the app.
        var fromApp = Path.GetFullPath(path, AppContext.BaseDirectory);
        return File.Exists(fromApp) ? fromApp : fromContentRoot;
    }
}
