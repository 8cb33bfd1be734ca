using Inference.Core.Contracts;
using Inference.Core.Rendering;
using Inference.Core.Serving;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Inference.Api.Detection;

/// <summary>
/// The annotated-image answer, for every HTTP front end that offers <c>format=image</c>: read the request's wish
/// (<see cref="TryRead"/>), detect as usual, then <see cref="RenderAsync"/> the one image with its result.
/// </summary>
public static class AnnotatedImageResponse
{
    public static readonly string[] ImageTypes = ["image/jpeg", "image/png"];

    /// <summary>
    /// Reads <c>format</c>, <c>labels</c> and <c>stroke</c> and the Accept header. <paramref name="options"/> is
    /// <see langword="null"/> when the answer is JSON.
    /// </summary>
    public static bool TryRead(HttpRequest request, Func<string, StringValues> parameter, int imageCount, out AnnotationOptions? options, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        return AnnotationParameters.TryParse(parameter, AcceptedTypes(request), imageCount, out options, out errors);
    }

    /// <summary>Draws <paramref name="result"/> onto the request's <paramref name="image"/> and answers it.</summary>
    public static async Task<AnnotatedImageResult> RenderAsync(AnnotationRenderer renderer, ReadOnlyMemory<byte> image, DetectionResult result, AnnotationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        return new AnnotatedImageResult(await renderer.RenderAsync(image, result, options, cancellationToken).ConfigureAwait(false));
    }

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
