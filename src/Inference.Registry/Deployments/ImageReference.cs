using System.Text.RegularExpressions;

namespace Inference.Registry.Deployments;

/// <summary>
/// A container image pinned by content, <c>repository@sha256:&lt;64 hex&gt;</c>, the only form a deployment records or
/// a task definition receives: a tag (<c>:latest</c>, even <c>:v1@sha256:…</c>) can move, a digest cannot.
/// </summary>
public static partial class ImageReference
{
    /// <summary>Null when <paramref name="image"/> is a digest reference, else the sentence that says why it is not.</summary>
    public static string? Problem(string? image)
    {
        if (string.IsNullOrWhiteSpace(image))
        {
            return "The image is empty; give repository@sha256:<64 hex digits>.";
        }

        if (DigestReference().IsMatch(image))
        {
            return null;
        }

        var at = image.IndexOf('@', StringComparison.Ordinal);
        var repository = at < 0 ? image : image[..at];
        var why = at < 0
            ? "it has no digest"
            : !image[(at + 1)..].StartsWith("sha256:", StringComparison.Ordinal) ? "its digest is not sha256"
            : !Digest().IsMatch(image[(at + 1)..]) ? "its digest is not 64 lower-case hex digits"
            : Tag().IsMatch(repository) ? "it names a tag as well as a digest"
            : "its repository name is not valid";
        return $"'{image}' is not repository@sha256:<64 hex digits>: {why}. Deploy the digest the image push printed, never a tag.";
    }

    /// <summary>Throws <see cref="ArgumentException"/> with the sentence of <see cref="Problem"/>.</summary>
    public static string Require(string? image) =>
        Problem(image) is { } problem ? throw new ArgumentException(problem, nameof(image)) : image!;

    // registry host (optional, with a port), then lower-case path components as the distribution spec writes them.
    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*@sha256:[0-9a-f]{64}$")]
    private static partial Regex DigestReference();

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex Digest();

    // A ':' after the last '/' is a tag (one before it is a registry port).
    [GeneratedRegex(@":[^/]*$")]
    private static partial Regex Tag();
}
