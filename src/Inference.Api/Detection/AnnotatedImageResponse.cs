using Inference.Core.Rendering;
using Microsoft.Net.Http.Headers;

namespace Inference.Api.Detection;

/// <summary>
/// What the HTTP front ends share about the annotated-image answer: the image types they can give, and the Accept
/// header read best first. Detecting and drawing go through <see cref="DetectionRunner"/>.
/// </summary>
public static class AnnotatedImageResponse
{
    public static readonly string[] ImageTypes = ["image/jpeg", "image/png"];

    /// <summary>The Accept header's media types, best first (by quality, then as listed); q=0 means "not this".</summary>
    public static IReadOnlyList<string> AcceptedTypes(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return [];
        }

        return [.. accepted
            .Select((type, index) => (Type: type.MediaType.Value ?? "", Quality: type.Quality ?? 1, Index: index))
            .Where(t => t.Quality > 0)
            .OrderByDescending(t => t.Quality)
            .ThenBy(t => t.Index)
            .Select(t => t.Type)];
    }
}

/// <summary>
/// An encoded annotated image as the response body; the image's memory goes back once it is written. OpenAPI learns
/// of it from <see cref="DetectRequestDocumentation"/>: response-type metadata would replace the JSON 200 instead.
/// </summary>
public sealed class AnnotatedImageResult(AnnotatedImage image) : IResult
{
    public const string DetectionsHeader = "X-Detections";

    public AnnotatedImage Image { get; } = image;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        using (Image)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = Image.ContentType;
            response.ContentLength = Image.Length;
            response.Headers[DetectionsHeader] = Image.Detections.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await using var body = Image.OpenRead();
            await body.CopyToAsync(response.Body, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
