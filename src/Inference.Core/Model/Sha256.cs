using System.Security.Cryptography;

namespace Inference.Core.Model;

public static class Sha256
{
    public static bool IsValidHex(string value) =>
        value.Length == 64 && value.All(char.IsAsciiHexDigit);

    public static string OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
