using System.Net;
using System.Text.Json;

namespace Inference.Lambda.Preprocessing;

/// <summary>One object an S3 event notification names: bucket, key (decoded), version and size.</summary>
public sealed record S3Upload(string Bucket, string Key, string? VersionId, long? Size);

/// <summary>
/// S3 event notifications as Lambda delivers them (<c>{"Records": [{"eventSource": "aws:s3", "eventName":
/// "ObjectCreated:Put", "s3": {"bucket": {"name"}, "object": {"key", "size", "versionId"}}}]}</c>). Keys arrive
/// URL-encoded, spaces as <c>+</c>. Anything else is not an upload this function can act on.
/// </summary>
public static class S3UploadEvent
{
    /// <exception cref="InvalidDataException">The payload is not an S3 notification of created objects.</exception>
    public static IReadOnlyList<S3Upload> Parse(ReadOnlyMemory<byte> payload)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(payload);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The event is not JSON: {ex.Message}", ex);
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("Records", out var records) || records.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("The event has no Records: the preprocess function takes S3 event notifications.");
        }

        var uploads = new List<S3Upload>(records.GetArrayLength());
        foreach (var record in records.EnumerateArray())
        {
            if (Text(record, "eventSource") != "aws:s3" || Text(record, "eventName") is not { } name || !name.StartsWith("ObjectCreated:", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"Record {uploads.Count} is not an S3 ObjectCreated notification (eventSource '{Text(record, "eventSource")}', eventName '{Text(record, "eventName")}').");
            }

            if (!record.TryGetProperty("s3", out var s3) || Text(s3, "bucket", "name") is not { Length: > 0 } bucket || Text(s3, "object", "key") is not { Length: > 0 } key)
            {
                throw new InvalidDataException($"Record {uploads.Count} names no bucket and key.");
            }

            var size = s3.TryGetProperty("object", out var item) && item.TryGetProperty("size", out var bytes) && bytes.TryGetInt64(out var length) ? length : (long?)null;
            uploads.Add(new S3Upload(bucket, WebUtility.UrlDecode(key), Text(s3, "object", "versionId"), size));
        }

        return uploads;
    }

    private static string? Text(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }
}
