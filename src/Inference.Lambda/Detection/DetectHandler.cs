using System.Diagnostics;
using System.Text.Json;
using Inference.Core.Contracts;
using Inference.Core.Imaging;
using Inference.Core.Pipeline;
using Inference.Lambda.Runtime;
using Microsoft.Extensions.Primitives;

namespace Inference.Lambda.Detection;

/// <summary>
/// Light-model inference behind a Function URL or an HTTP API: the same routes and JSON as the service
/// (<c>POST /v1/detect</c>, <c>GET /v1/model</c>, <c>/health/live|ready|golden</c>), one image per request, on CPU.
/// The body is the image (base64 in the event) or JSON <c>{"image": base64, …parameters}</c>; parameters may also
/// come in the query string. Every bad request is a 4xx problem document, never an invocation error.
/// </summary>
public sealed class DetectHandler(LoadedLambdaModel model) : IInvocationHandler
{
    public Task<byte[]> HandleAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var result = HttpEvent.TryParse(invocation.Payload) is { } request
            ? Route(request)
            : Problem(400, "not-an-http-event", "Not an HTTP event", "The function answers Function URL and HTTP API (payload 2.0) events.");
        return Task.FromResult(result.ToUtf8());
    }

    private HttpResult Route(HttpEvent request) => (request.Method, request.Path) switch
    {
        ("POST", "/v1/detect" or "/") => Detect(request),
        ("GET", "/v1/model") => HttpResult.Json(200, model.Info),
        ("GET", "/health/live") => HttpResult.Json(200, new LiveResponse("live")),
        ("GET", "/health/ready") => HttpResult.Json(200, new ReadyResponse("ready", model.Info.Name, model.Info.Version, model.Info.Sha256, model.Info.Provider)),
        ("GET", "/health/golden") => Golden(),
        (_, "/v1/detect" or "/" or "/v1/model" or "/health/live" or "/health/ready" or "/health/golden") =>
            Problem(405, "method-not-allowed", "Method not allowed", $"{request.Method} is not allowed on {request.Path}."),
        _ => Problem(404, "not-found", "Not found", $"There is no route {request.Path}."),
    };

    private HttpResult Detect(HttpEvent request)
    {
        var started = Stopwatch.GetTimestamp();
        if (!TryReadImage(request, out var image, out var fields, out var failure))
        {
            return failure!;
        }

        var query = request.QueryStringParameters ?? [];
        StringValues Lookup(string name) =>
            fields.TryGetValue(name, out var field) ? field : query.TryGetValue(name, out var value) ? value : StringValues.Empty;
        if (!DetectionParameters.TryParse(Lookup, model.Pipeline.DefaultOptions, model.Pipeline.Detector.ClassNames, out var options, out var errors))
        {
            return Problem(400, "invalid-parameters", "Invalid parameters", "One or more parameters are invalid.", errors);
        }

        ImageDetections detected;
        try
        {
            detected = model.Pipeline.Detect(image, options);
        }
        catch (ImageDecodeException ex)
        {
            var (status, code, title) = ProblemCatalog.ForImage(ex.Reason);
            return Problem(status, code, title, ex.Message);
        }

        var t = detected.Timings;
        return HttpResult.Json(200, new DetectionResponse(
            model.Summary,
            new ImageSize(detected.Width, detected.Height),
            detected.Detections.Select(DetectedObject.From).ToArray(),
            new StageTimingsMs(Round(t.DecodeMs), Round(t.PreprocessMs), 0, Round(t.InferenceMs), Round(t.PostprocessMs), Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds), 1)));
    }

    private static bool TryReadImage(HttpEvent request, out byte[] image, out Dictionary<string, string> fields, out HttpResult? failure)
    {
        image = [];
        fields = new Dictionary<string, string>(StringComparer.Ordinal);
        failure = null;
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        try
        {
            if (mediaType == "application/json")
            {
                return TryReadJson(request.BodyBytes(), out image, fields, out failure);
            }

            if (mediaType is not null && !mediaType.StartsWith("image/", StringComparison.Ordinal) && mediaType != "application/octet-stream")
            {
                failure = Problem(415, "unsupported-media-type", "Unsupported media type", $"Send the image as image/*, application/octet-stream or application/json {{\"image\": base64}} (got '{mediaType}').");
                return false;
            }

            image = request.BodyBytes();
        }
        catch (FormatException)
        {
            failure = Problem(400, "not-an-image", "The body is not an image", "The body is flagged base64 but is not valid base64.");
            return false;
        }

        if (image.Length == 0)
        {
            failure = Problem(400, "not-an-image", "The body is not an image", "The body is empty.");
            return false;
        }

        return true;
    }

    // {"image": "<base64>", "confidence": 0.4, "classes": "person,car", ...}: every other member is a parameter.
    private static bool TryReadJson(byte[] body, out byte[] image, Dictionary<string, string> fields, out HttpResult? failure)
    {
        image = [];
        failure = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                failure = Problem(400, "malformed-body", "Malformed body", "The JSON body must be an object with an 'image' member.");
                return false;
            }

            foreach (var member in document.RootElement.EnumerateObject())
            {
                if (member.NameEquals("image"))
                {
                    image = member.Value.ValueKind == JsonValueKind.String ? Convert.FromBase64String(member.Value.GetString()!) : [];
                }
                else
                {
                    fields[member.Name] = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString()! : member.Value.GetRawText();
                }
            }
        }
        catch (JsonException ex)
        {
            failure = Problem(400, "malformed-body", "Malformed body", $"The JSON body does not parse: {ex.Message}");
            return false;
        }
        catch (FormatException)
        {
            failure = Problem(400, "not-an-image", "The body is not an image", "'image' is not valid base64.");
            return false;
        }

        if (image.Length == 0)
        {
            failure = Problem(400, "not-an-image", "The body is not an image", "The JSON body needs a non-empty base64 'image' string.");
            return false;
        }

        return true;
    }

    private HttpResult Golden()
    {
        var response = GoldenResponse.From(model.Pipeline.Detector.Manifest, GoldenChecks.Run(model.Pipeline));
        return HttpResult.Json(response.Passed ? 200 : 503, response);
    }

    private static HttpResult Problem(int status, string code, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        HttpResult.Json(status, new ProblemDocument(ProblemCatalog.TypeUri(code), title, status, detail, code, errors), "application/problem+json");

    private static double Round(double milliseconds) => Math.Round(milliseconds, 3);
}

/// <summary>RFC 7807, with the same <c>code</c> extension as the service.</summary>
public sealed record ProblemDocument(string Type, string Title, int Status, string Detail, string Code, IReadOnlyDictionary<string, string[]>? Errors);
