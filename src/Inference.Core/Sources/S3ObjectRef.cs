using System.Diagnostics.CodeAnalysis;

namespace Inference.Core.Sources;

/// <summary>One S3 object, optionally one exact version of it: <c>s3://bucket/key</c> plus a VersionId.</summary>
public sealed record S3ObjectRef(string Bucket, string Key, string? VersionId = null)
{
    public const string Scheme = "s3://";

    /// <summary>The last segment of the key, used as the cached file's name.</summary>
    public string FileName => Key[(Key.LastIndexOf('/') + 1)..];

    public string Uri => $"{Scheme}{Bucket}/{Key}";

    public static bool IsS3Uri([NotNullWhen(true)] string? value) =>
        value is not null && value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>s3://bucket/key</c>; a <c>?versionId=</c> suffix is accepted too.</summary>
    public static bool TryParse(string? value, string? versionId, [NotNullWhen(true)] out S3ObjectRef? result)
    {
        result = null;
        if (!IsS3Uri(value))
        {
            return false;
        }

        var path = value[Scheme.Length..];
        var query = path.IndexOf("?versionId=", StringComparison.Ordinal);
        if (query >= 0)
        {
            versionId ??= System.Uri.UnescapeDataString(path[(query + "?versionId=".Length)..]);
            path = path[..query];
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == path.Length - 1 || path.EndsWith('/'))
        {
            return false;
        }

        result = new S3ObjectRef(path[..slash], path[(slash + 1)..], string.IsNullOrWhiteSpace(versionId) ? null : versionId);
        return true;
    }

    public override string ToString() => VersionId is null ? Uri : $"{Uri} (version {VersionId})";

    /// <summary>The form a manifest stores for a pinned file: the URI with its version.</summary>
    public string ToPinnedUri() => VersionId is null ? Uri : $"{Uri}?versionId={System.Uri.EscapeDataString(VersionId)}";
}
