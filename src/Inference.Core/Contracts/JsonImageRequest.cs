using System.Text.Json;
using Inference.Core.Inputs;
using Microsoft.Extensions.Primitives;

namespace Inference.Core.Contracts;

/// <summary>
/// JSON bodies, the same on every front end: <c>{"image": "&lt;base64&gt;"}</c>, <c>{"images": [...]}</c>, or
/// <c>{"image": {"type": "base64" | "url", "value": "..."}}</c> (Roboflow's form, where <c>image</c> may also be a list);
/// every other member is a parameter (<c>confidence</c>, <c>classes</c> as a string or a list, …). Images by URL go
/// through the one <see cref="ImageUrlFetcher"/>, under its rules.
/// </summary>
public static class JsonImageRequest
{
    public const string ImageMember = "image";
    public const string ImagesMember = "images";

    /// <param name="fallback">Where parameters the body does not carry come from (the query string), with its names.</param>
    /// <exception cref="RequestProblemException">The body is not such an object, carries too many images, or an image cannot be had.</exception>
    /// <param name="owned">What the request holds until it is done (a body-budget lease, say).</param>
    public static async Task<DetectRequest> ReadAsync(
        ReadOnlyMemory<byte> body,
        int maxImages,
        ImageUrlFetcher fetcher,
        ParameterSource? fallback,
        CancellationToken cancellationToken,
        IEnumerable<IDisposable>? owned = null)
    {
        ArgumentNullException.ThrowIfNull(fetcher);
        var (sources, asList, parameters) = Parse(body, maxImages);
        var images = new ReadOnlyMemory<byte>[sources.Count];
        var fetches = new List<Task>();
        for (var i = 0; i < sources.Count; i++)
        {
            var (bytes, url) = sources[i];
            if (bytes is not null)
            {
                images[i] = bytes;
                continue;
            }

            var index = i;
            fetches.Add(FetchAsync(fetcher, url!, index, sources.Count > 1, images, cancellationToken));
        }

        await Task.WhenAll(fetches).ConfigureAwait(false);
        var names = parameters.Keys.Concat(fallback?.Names ?? []);
        return new DetectRequest(
            images,
            asList || images.Length > 1,
            name => parameters.TryGetValue(name, out var value) ? value : fallback?.Lookup(name) ?? StringValues.Empty,
            owned,
            names);
    }

    private static async Task FetchAsync(ImageUrlFetcher fetcher, string url, int index, bool several, ReadOnlyMemory<byte>[] images, CancellationToken cancellationToken)
    {
        try
        {
            images[index] = await fetcher.FetchAsync(url, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestProblemException ex) when (several)
        {
            throw new RequestProblemException(ex.Problem with { ImageIndex = index });
        }
    }

    private static (List<(byte[]? Bytes, string? Url)> Sources, bool AsList, Dictionary<string, StringValues> Parameters) Parse(ReadOnlyMemory<byte> body, int maxImages)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw Malformed($"The JSON body does not parse: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Malformed($"The JSON body must be an object with an '{ImageMember}' or '{ImagesMember}' member.");
            }

            var sources = new List<(byte[]?, string?)>();
            var asList = false;
            var parameters = new Dictionary<string, StringValues>(StringComparer.Ordinal);
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case ImageMember or ImagesMember when member.Value.ValueKind == JsonValueKind.Array:
                        asList = true;
                        var index = 0;
                        foreach (var item in member.Value.EnumerateArray())
                        {
                            if (sources.Count >= maxImages)
                            {
                                throw new RequestProblemException(ProblemCatalog.TooManyImages(sources.Count + member.Value.GetArrayLength() - index, maxImages));
                            }

                            sources.Add(ReadImage(item, $"{member.Name}[{index++}]"));
                        }

                        break;
                    case ImageMember:
                        sources.Add(ReadImage(member.Value, ImageMember));
                        break;
                    case ImagesMember:
                        throw Malformed($"'{ImagesMember}' must be a list of images.");
                    default:
                        parameters[member.Name] = ParameterValue(member.Value);
                        break;
                }
            }

            if (sources.Count == 0)
            {
                throw Malformed($"The JSON body has no image: send '{ImageMember}' (base64, or an object with 'type' (base64 or url) and 'value') or '{ImagesMember}' (a list).");
            }

            if (sources.Count > maxImages)
            {
                throw new RequestProblemException(ProblemCatalog.TooManyImages(sources.Count, maxImages));
            }

            return (sources, asList, parameters);
        }
    }

    private static (byte[]? Bytes, string? Url) ReadImage(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Object)
        {
            var type = value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (!value.TryGetProperty("value", out var inner))
            {
                throw Malformed($"'{path}' is an object without 'value'.");
            }

            return type switch
            {
                "base64" => (ReadBase64(inner, $"{path}.value"), null),
                "url" when inner.ValueKind == JsonValueKind.String => (null, inner.GetString()!),
                "url" => throw Malformed($"'{path}.value' must be a URL string."),
                _ => throw Malformed($"'{path}.type' must be 'base64' or 'url' (got '{type}'); other kinds (numpy, pil, multipart) are not accepted."),
            };
        }

        return (ReadBase64(value, path), null);
    }

    private static byte[] ReadBase64(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Malformed($"'{path}' must be a base64 string.");
        }

        // Straight from the UTF-8 JSON into bytes, with no string in between; data: URLs take the slower path.
        return value.TryGetBytesFromBase64(out var bytes) && bytes.Length > 0 ? bytes : Base64Image.Decode(value.GetString()!, path);
    }

    private static StringValues ParameterValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array => string.Join(',', value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
        JsonValueKind.Null => StringValues.Empty,
        _ => value.GetRawText(),
    };

    private static RequestProblemException Malformed(string detail) => new(ProblemCatalog.MalformedBody(detail));
}

/// <summary>Base64 image text as clients send it: plain, or a data URL (what browsers' FileReader produces).</summary>
public static class Base64Image
{
    /// <exception cref="RequestProblemException">Not valid base64, or empty.</exception>
    public static byte[] Decode(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var comma = text.StartsWith("data:", StringComparison.Ordinal) ? text.IndexOf(',', StringComparison.Ordinal) : -1;
        try
        {
            var bytes = Convert.FromBase64String(comma >= 0 ? text[(comma + 1)..] : text);
            return bytes.Length > 0 ? bytes : throw new RequestProblemException(ProblemCatalog.MalformedBody($"'{what}' is empty."));
        }
        catch (FormatException)
        {
            throw NotBase64(what);
        }
    }

    /// <summary>
    /// Base64 text in a request body, decoded from its bytes without a string copy; surrounding whitespace or quotes
    /// and line breaks (base64's own output wraps at 76 columns) are allowed, as is a data URL prefix.
    /// </summary>
    /// <exception cref="RequestProblemException">Not valid base64, or empty.</exception>
    public static byte[] Decode(ReadOnlySpan<byte> utf8, string what)
    {
        var text = utf8.Trim(" \t\r\n\""u8);
        if (text.StartsWith("data:"u8) && text.IndexOf((byte)',') is var comma and >= 0)
        {
            text = text[(comma + 1)..];
        }

        var bytes = new byte[System.Buffers.Text.Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        var status = System.Buffers.Text.Base64.DecodeFromUtf8(text, bytes, out _, out var written);
        if (status != System.Buffers.OperationStatus.Done)
        {
            // Line breaks and other whitespace inside: the char decoder skips them.
            return Decode(System.Text.Encoding.ASCII.GetString(text), what);
        }

        return written > 0 ? bytes.AsSpan(0, written).ToArray() : throw new RequestProblemException(ProblemCatalog.MalformedBody($"'{what}' is empty."));
    }

    private static RequestProblemException NotBase64(string what) =>
        new(new Problem(400, "not-an-image", "The body is not an image", $"'{what}' is not valid base64."));
}
