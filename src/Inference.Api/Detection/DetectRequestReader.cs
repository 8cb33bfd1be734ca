using Inference.Api.Errors;
using Inference.Api.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Inference.Api.Detection;

/// <summary>The images of one request and where its parameters come from.</summary>
internal sealed record DetectRequest(IReadOnlyList<ReadOnlyMemory<byte>> Images, bool AnswerAsList, Func<string, StringValues> Parameter);

/// <summary>
/// Reads multipart/form-data (one or more <c>image</c> parts, parameters as form fields or query) or a raw
/// image body (<c>image/*</c> or <c>application/octet-stream</c>), within the configured body limit.
/// </summary>
internal static class DetectRequestReader
{
    public const string ImageField = "image";

    public static async Task<(DetectRequest? Request, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, LimitsOptions limits, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limits.MaxBodyBytes)
        {
            return (null, Problems.BodyTooLarge(limits.MaxBodyBytes));
        }

        try
        {
            if (IsMultipart(request.ContentType))
            {
                return await ReadMultipartAsync(request, limits, cancellationToken).ConfigureAwait(false);
            }

            if (IsRawImage(request.ContentType))
            {
                var body = await ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);
                return (new DetectRequest([body], false, name => request.Query[name]), null);
            }

            return (null, Problems.UnsupportedMediaType(request.ContentType));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.BodyTooLarge(limits.MaxBodyBytes));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, Problems.MalformedBody(ex.Message));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            // The multipart reader's own complaints: a missing boundary, a body that ends mid-part, too many parts.
            return (null, Problems.MalformedBody($"The body could not be read: {ex.Message}"));
        }
    }

    private static async Task<(DetectRequest?, ProblemHttpResult?)> ReadMultipartAsync(HttpRequest request, LimitsOptions limits, CancellationToken cancellationToken)
    {
        var form = await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        var files = form.Files.GetFiles(ImageField);
        if (files.Count == 0)
        {
            var fields = form.Files.Select(f => f.Name).Concat(form.Keys).Distinct(StringComparer.Ordinal).ToArray();
            return (null, Problems.MalformedBody(fields.Length == 0
                ? $"The multipart body has no '{ImageField}' part."
                : $"The multipart body has no '{ImageField}' part (it has: {string.Join(", ", fields)})."));
        }

        if (files.Count > limits.MaxImagesPerRequest)
        {
            return (null, Problems.TooManyImages(files.Count, limits.MaxImagesPerRequest));
        }

        var images = new ReadOnlyMemory<byte>[files.Count];
        for (var i = 0; i < files.Count; i++)
        {
            var bytes = new byte[files[i].Length];
            await using var stream = files[i].OpenReadStream();
            await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            images[i] = bytes;
        }

        return (new DetectRequest(images, files.Count > 1, name => form.TryGetValue(name, out var value) ? value : request.Query[name]), null);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // Kestrel enforces Limits:MaxBodyBytes while this reads, including chunked bodies without a length.
        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 64 * 1024);
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static bool IsMultipart(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    private static bool IsRawImage(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        (media.MediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || media.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase));
}
