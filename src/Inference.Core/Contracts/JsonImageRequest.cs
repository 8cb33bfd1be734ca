using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace Inference.Core.Contracts;

/// <summary>
/// JSON bodies, the same on every front end: <c>{"image": "&lt;base64&gt;"}</c>, <c>{"images": [...]}</c> or
/// <c>{"image": {"type": "base64", "value": "..."}}</c>; every other member is a parameter (<c>confidence</c>,
/// <c>classes</c> as a string or a list, …). Images by URL are refused while fetching is off.
/// </summary>
public static class JsonImageRequest
{
    public const string ImageMember = "image";
    public const string ImagesMember = "images";

    /// <exception cref="RequestProblemException">The body is not such an object, or carries too many images.</exception>
    /// <param name="owned">What the request holds until it is done (a body-budget lease, say).</param>
    public static DetectRequest Parse(ReadOnlyMemory<byte> body, int maxImages, Func<string, StringValues>? fallback = null, IEnumerable<IDisposable>? owned = null)
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

            var images = new List<ReadOnlyMemory<byte>>();
            var asList = false;
            var parameters = new Dictionary<string, StringValues>(StringComparer.Ordinal);
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case ImageMember:
                        images.Add(ReadImage(member.Value, ImageMember));
                        break;
                    case ImagesMember when member.Value.ValueKind == JsonValueKind.Array:
                        asList = true;
                        var index = 0;
                        foreach (var item in member.Value.EnumerateArray())
                        {
                            if (index >= maxImages)
                            {
                                throw new RequestProblemException(ProblemCatalog.TooManyImages(member.Value.GetArrayLength(), maxImages));
                            }

                            images.Add(ReadImage(item, $"{ImagesMember}[{index++}]"));
                        }

                        break;
                    case ImagesMember:
                        throw Malformed($"'{ImagesMember}' must be a list of images.");
                    default:
                        parameters[member.Name] = ParameterValue(member.Value);
                        break;
                }
            }

            if (images.Count == 0)
            {
                throw Malformed($"The JSON body has no image: send '{ImageMember}' (base64) or '{ImagesMember}' (a list).");
            }

            if (images.Count > maxImages)
            {
                throw new RequestProblemException(ProblemCatalog.TooManyImages(images.Count, maxImages));
            }

            return new DetectRequest(images, asList || images.Count > 1, name => parameters.TryGetValue(name, out var value) ? value : fallback?.Invoke(name) ?? StringValues.Empty, owned);
        }
    }

    private static byte[] ReadImage(JsonElement value, string path)
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
                "base64" => ReadBase64(inner, $"{path}.value"),
                "url" => throw new RequestProblemException(new Problem(400, "url-fetch-disabled", "Images by URL are off", $"'{path}' is a URL, but fetching images by URL is off on this service (Inputs:AllowUrlFetch).")),
                _ => throw Malformed($"'{path}.type' must be 'base64' or 'url' (got '{type}')."),
            };
        }

        return ReadBase64(value, path);
    }

    private static byte[] ReadBase64(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Malformed($"'{path}' must be a base64 string.");
        }

        // Data URLs ("data:image/jpeg;base64,...") are what browsers' FileReader produces.
        var text = value.GetString()!;
        var comma = text.StartsWith("data:", StringComparison.Ordinal) ? text.IndexOf(',', StringComparison.Ordinal) : -1;
        try
        {
            var bytes = Convert.FromBase64String(comma >= 0 ? text[(comma + 1)..] : text);
            return bytes.Length > 0 ? bytes : throw Malformed($"'{path}' is empty.");
        }
        catch (FormatException)
        {
            throw new RequestProblemException(new Problem(400, "not-an-image", "The body is not an image", $"'{path}' is not valid base64."));
        }
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
