using System.Security.Cryptography;

namespace Inference.Core.Sources;

/// <summary>
/// Verified downloads, addressed by content: <c>&lt;cache&gt;/&lt;sha256&gt;/&lt;file&gt;</c>. A file is only ever
/// placed there by an atomic rename after its hash was checked, and is checked again before it is used, so a
/// tampered or half-written file is never served.
/// </summary>
public sealed class ModelCache(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string PathFor(string sha256, string fileName) => Path.Combine(Directory, sha256.ToLowerInvariant(), fileName);

    /// <summary>A new temporary file beside the final one, on the same filesystem so the rename is atomic.</summary>
    public string TemporaryPathFor(string sha256)
    {
        var folder = Path.Combine(Directory, sha256.ToLowerInvariant());
        System.IO.Directory.CreateDirectory(folder);
        return Path.Combine(folder, $".download-{Guid.NewGuid():N}");
    }

    /// <summary>True with the path when the cached file exists and still hashes to <paramref name="sha256"/>; a bad copy is deleted.</summary>
    public bool TryGetVerified(string sha256, string fileName, out string path)
    {
        path = PathFor(sha256, fileName);
        if (!File.Exists(path))
        {
            return false;
        }

        if (string.Equals(HashFile(path), sha256, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        File.Delete(path);
        return false;
    }

    public static string Commit(string temporaryPath, string finalPath)
    {
        File.Move(temporaryPath, finalPath, overwrite: true);
        return finalPath;
    }

    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
