using System.Globalization;
using Inference.Core.Imaging;
using Inference.Core.Repository;
using Inference.Core.Scheduling;

namespace Inference.Core.Contracts;

/// <summary>
/// One problem (RFC 7807) before a front end writes it: status, a stable <c>code</c>, a title, a one-sentence
/// detail and any extensions (<c>errors</c>, <c>image_index</c>, <c>state</c>). Front ends add <c>trace_id</c>.
/// </summary>
public sealed record Problem(int Status, string Code, string Title, string Detail)
{
    public string Type => ProblemCatalog.TypeUri(Code);

    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    public int? ImageIndex { get; init; }

    /// <summary>For 429: when to retry, sent as <c>Retry-After</c>.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>For not-ready problems: the model's state.</summary>
    public ModelState? State { get; init; }

    public string? RetryAfterSeconds => RetryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture) : null;

    /// <summary>The whole document, as the service's problem+json writes it: type, title, status, detail, then the extensions.</summary>
    public Dictionary<string, object?> ToDocument(string? traceId)
    {
        var document = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["type"] = Type,
            ["title"] = Title,
            ["status"] = Status,
            ["detail"] = Detail,
        };
        foreach (var (key, value) in Extensions(traceId))
        {
            document[key] = value;
        }

        return document;
    }

    /// <summary>The members besides type, title, status and detail, by their wire names.</summary>
    public Dictionary<string, object?> Extensions(string? traceId)
    {
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = Code };
        if (traceId is not null)
        {
            extensions["trace_id"] = traceId;
        }

        if (Errors is not null)
        {
            extensions["errors"] = Errors;
        }

        if (ImageIndex is { } index)
        {
            extensions["image_index"] = index;
        }

        if (State is { } state)
        {
            extensions["state"] = state;
        }

        return extensions;
    }
}

/// <summary>
/// Every error any front end answers, in one place: a client switches on the same <c>code</c> values whether it
/// called the HTTP service or the Lambda function.
/// </summary>
public static class ProblemCatalog
{
    public static string TypeUri(string code) => $"urn:inference:problem:{code}";

    public static Problem Image(ImageDecodeException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var (status, code, title) = failure.Reason switch
        {
            ImageFailureReason.NotAnImage => (400, "not-an-image", "The body is not an image"),
            ImageFailureReason.Unsupported => (415, "unsupported-image", "Unsupported image format"),
            ImageFailureReason.TooLarge => (422, "image-too-large", "Image too large"),
            ImageFailureReason.TooComplex => (422, "image-too-complex", "Image too costly to decode"),
            _ => (422, "corrupt-image", "Corrupt image"),
        };
        return new Problem(status, code, title, failure.Message) { ImageIndex = failure.ImageIndex };
    }

    public static Problem InvalidParameters(IReadOnlyDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var first = errors.Values.SelectMany(e => e).FirstOrDefault() ?? "A parameter is invalid.";
        var detail = errors.Count == 1 ? first : $"{errors.Count} parameters are invalid; the first: {first}";
        return new Problem(400, "invalid-parameters", "Invalid parameters", detail) { Errors = errors };
    }

    public static Problem MalformedBody(string detail) => new(400, "malformed-body", "Malformed request body", detail);

    public static Problem BodyTooLarge(long limit) =>
        new(413, "body-too-large", "Request body too large", $"The body exceeds the {limit}-byte limit (Limits:MaxBodyBytes).");

    public static Problem TooManyImages(int count, int limit) =>
        new(413, "too-many-images", "Too many images", $"The request carries {(count > limit ? count.ToString(CultureInfo.InvariantCulture) : "more than " + limit.ToString(CultureInfo.InvariantCulture))} images; at most {limit} are allowed (Limits:MaxImagesPerRequest).");

    public static Problem UnsupportedMediaType(string? contentType, string accepted) =>
        new(415, "unsupported-media-type", "Unsupported content type", $"Content type '{contentType ?? "(none)"}' is not accepted; send {accepted}.");

    public static Problem QueueFull(QueueFullException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return new Problem(429, "queue-full", "Too many requests", failure.Message) { RetryAfter = failure.RetryAfter };
    }

    /// <summary>Too many request bytes held at once: the same 429 as a full queue, for the same reason.</summary>
    public static Problem BodiesFull(long budget) =>
        new Problem(429, "queue-full", "Too many requests", $"The service holds {budget >> 20} MiB of request bodies already (Limits:MaxBufferedBodyBytes); retry in 1 s.") { RetryAfter = TimeSpan.FromSeconds(1) };

    public static Problem NotReady(ModelEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var status = entry.Status;
        return new Problem(503, "not-ready", "The model is not ready", $"Model '{entry.Id}': {status.Reason}") { State = status.State };
    }

    public static Problem ModelFailed(string reason) => new(503, "model-failed", "The model has failed", reason);

    public static Problem ShuttingDown() =>
        new(503, "shutting-down", "Shutting down", "The service is shutting down and takes no new work; retry on another instance.");

    public static Problem DeadlineExceeded(int timeoutMs) =>
        new(503, "deadline-exceeded", "Deadline exceeded", $"The request was not served within Limits:RequestTimeoutMs ({timeoutMs} ms).");

    public static Problem ClientClosedRequest() =>
        new(499, "client-closed-request", "Client closed request", "The client disconnected before the answer was ready.");

    public static Problem BatchFailed(string detail) => new(500, "inference-failed", "Inference failed", detail);

    public static Problem Internal() =>
        new(500, "internal-error", "Internal server error", "The server failed unexpectedly; the error is logged with this trace id.");

    public static Problem UrlFetchDisabled() =>
        new(400, "url-fetch-disabled", "Images by URL are off", "Fetching images by URL is off on this service (Inputs:AllowUrlFetch); send the image itself.");

    public static Problem InvalidUrl(string url, string reason) =>
        new(400, "invalid-url", "Invalid image URL", $"The image URL '{url}' is refused: {reason}");

    public static Problem UrlHostNotAllowed(string host) =>
        new(403, "url-host-not-allowed", "Image host not allowed", $"Images are not fetched from '{host}': it is not in Inputs:AllowedHosts.");

    public static Problem UrlAddressNotAllowed(string host, string address, string kind) =>
        new(403, "url-address-not-allowed", "Image address not allowed", $"'{host}' resolves to {address}, a {kind} address, which is not in Inputs:AllowedNetworks.");

    public static Problem UrlRedirectNotAllowed(string from, string to) =>
        new(403, "url-redirect-not-allowed", "Image redirect not allowed", $"'{from}' redirects to another host, '{to}'; only redirects within the same host are followed.");

    public static Problem UrlFetchFailed(string url, string reason) =>
        new(502, "url-fetch-failed", "Image fetch failed", $"The image at '{url}' could not be fetched: {reason}");

    public static Problem UrlFetchTimeout(string url, int timeoutMs) =>
        new(504, "url-fetch-timeout", "Image fetch timed out", $"The image at '{url}' was not fetched within Inputs:UrlTimeoutMs ({timeoutMs} ms).");

    public static Problem UrlImageTooLarge(string url, long limit) =>
        new(413, "url-image-too-large", "Fetched image too large", $"The image at '{url}' is larger than Inputs:MaxUrlBytes ({limit} bytes).");

    /// <summary>A compatible front end was asked for the annotated image, which this build does not render.</summary>
    public static Problem NotAcceptable(string? accept, string offered) =>
        new(406, "not-acceptable", "Not acceptable", $"Accept '{accept}' names nothing this route answers; it answers {offered}.");

    public static Problem ModelNotFound(string id, IEnumerable<string> known) =>
        new(404, "model-not-found", "Model not found", $"There is no model '{id}'; this service serves {string.Join(", ", known.Select(k => $"'{k}'"))}.");

    public static Problem ModelVersionNotFound(string name, string version, string served) =>
        new(404, "model-version-not-found", "Model version not found", $"Model '{name}' has no version '{version}'; this service serves version '{served}'.");

    public static Problem ApiKeyRequired() =>
        new(401, "api-key-required", "API key required", "This service requires an API key: send it as Authorization: Bearer <key>, X-Api-Key: <key>, or ?api_key=<key>.");

    public static Problem ApiKeyInvalid() =>
        new(401, "api-key-invalid", "API key not accepted", "The API key sent is not one this service accepts.");

    public static Problem NotFound(string path) => new(404, "not-found", "Not found", $"There is no route {path}.");

    public static Problem MethodNotAllowed(string method, string path) =>
        new(405, "method-not-allowed", "Method not allowed", $"{method} is not allowed on {path}.");

    /// <summary>Status-code-only answers (from the server or the router) as problems with a code.</summary>
    public static Problem ForStatus(int status, string method, string path) => status switch
    {
        404 => NotFound(path),
        405 => MethodNotAllowed(method, path),
        413 => new(413, "body-too-large", "Request body too large", "The body exceeds the server's limit (Limits:MaxBodyBytes)."),
        414 => new(414, "uri-too-long", "URI too long", "The request line is longer than the server accepts."),
        431 => new(431, "headers-too-large", "Request headers too large", "The request headers are larger than the server accepts."),
        >= 500 => Internal(),
        _ => new(status, "bad-request", "Bad request", "The request could not be read as HTTP."),
    };

    /// <summary>
    /// The problem for an exception the detection service throws, or null when it is not one of them (a bug: the host
    /// answers 500 and logs it). Cancellation is for the front end to tell apart (deadline or client gone).
    /// </summary>
    public static Problem? FromException(Exception exception) => exception switch
    {
        ImageDecodeException image => Image(image),
        QueueFullException full => QueueFull(full),
        SchedulerStoppedException => ShuttingDown(),
        ModelFailedException failed => ModelFailed(failed.Message),
        BatchFailedException batch => BatchFailed(batch.Message),
        _ => null,
    };
}
