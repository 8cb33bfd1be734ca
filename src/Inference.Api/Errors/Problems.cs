using Inference.Api.Model;
using Inference.Core.Batching;
using Inference.Core.Contracts;
using Inference.Core.Imaging;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inference.Api.Errors;

/// <summary>
/// Every error the service answers is RFC 7807 problem+json with a stable <c>type</c> URN and a <c>code</c>
/// extension clients can switch on; the <c>detail</c> names the parameter or the reason.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult Create(int status, string code, string title, string detail, IEnumerable<KeyValuePair<string, object?>>? extensions = null)
    {
        var all = new Dictionary<string, object?> { ["code"] = code };
        foreach (var (key, value) in extensions ?? [])
        {
            all[key] = value;
        }

        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: ProblemCatalog.TypeUri(code), extensions: all);
    }

    public static ProblemHttpResult Image(ImageDecodeException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var (status, code, title) = ProblemCatalog.ForImage(failure.Reason);
        return Create(status, code, title, failure.Message, failure.ImageIndex is { } index ? [new("image_index", index)] : null);
    }

    public static ProblemHttpResult QueueFull(HttpContext context, QueueFullException failure)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(failure);
        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(failure.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Create(StatusCodes.Status429TooManyRequests, "queue-full", "Too many requests", failure.Message);
    }

    public static ProblemHttpResult NotReady(ModelHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var (state, reason) = host.Status;
        return Create(StatusCodes.Status503ServiceUnavailable, "not-ready", "The model is not ready", reason, [new("state", state)]);
    }

    public static ProblemHttpResult ShuttingDown() =>
        Create(StatusCodes.Status503ServiceUnavailable, "shutting-down", "Shutting down", "The service is shutting down and takes no new work; retry on another instance.");

    public static ProblemHttpResult DeadlineExceeded(int timeoutMs) =>
        Create(StatusCodes.Status503ServiceUnavailable, "deadline-exceeded", "Deadline exceeded", $"The request was not served within Limits:RequestTimeoutMs ({timeoutMs} ms).");

    public static ProblemHttpResult BodyTooLarge(long limit) =>
        Create(StatusCodes.Status413PayloadTooLarge, "body-too-large", "Request body too large", $"The body exceeds the {limit}-byte limit (Limits:MaxBodyBytes).");

    public static ProblemHttpResult TooManyImages(int count, int limit) =>
        Create(StatusCodes.Status413PayloadTooLarge, "too-many-images", "Too many images", $"The request carries {count} images; at most {limit} are allowed (Limits:MaxImagesPerRequest).");

    public static ProblemHttpResult UnsupportedMediaType(string? contentType) =>
        Create(
            StatusCodes.Status415UnsupportedMediaType,
            "unsupported-media-type",
            "Unsupported content type",
            $"Content type '{contentType ?? "(none)"}' is not accepted; send multipart/form-data with 'image' parts, or a raw body as image/* or application/octet-stream.");

    public static ProblemHttpResult MalformedBody(string detail) =>
        Create(StatusCodes.Status400BadRequest, "malformed-body", "Malformed request body", detail);
}
