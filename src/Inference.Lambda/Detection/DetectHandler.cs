using System.Diagnostics;
using System.Text.Json;
using Inference.Core.Contracts;
using Inference.Core.Repository;
using Inference.Lambda.Runtime;
using Microsoft.Extensions.Primitives;

namespace Inference.Lambda.Detection;

/// <summary>
/// Light-model inference behind a Function URL or an HTTP API: a router over the same detection service, routes and
/// JSON as the service (<c>POST /v1/detect</c>, <c>POST /v1/models/{id}/detect</c>, <c>GET /v1/model</c>,
/// <c>/v1/models</c>, <c>/health/live|ready|golden</c>). The body is the image (base64 in the event) or JSON
/// (<c>{"image": base64 or {"type": "url", …}, …parameters}</c>); parameters may also come in the query string. Every bad request is a
/// problem document from the shared catalogue, never an invocation error.
/// </summary>
public sealed class DetectHandler(LambdaServing serving) : IInvocationHandler
{
    private static readonly string[] Routes = ["/", "/v1/detect", "/v1/model", "/v1/models", "/health/live", "/health/ready", "/health/golden"];

    public async Task<byte[]> HandleAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var result = HttpEvent.TryParse(invocation.Payload) is { } request
            ? await RouteAsync(request, invocation, cancellationToken).ConfigureAwait(false)
            : Problem(new Problem(400, "not-an-http-event", "Not an HTTP event", "The function answers Function URL and HTTP API (payload 2.0) events."), invocation);
        return result.ToUtf8();
    }

    private async Task<HttpResult> RouteAsync(HttpEvent request, Invocation invocation, CancellationToken cancellationToken)
    {
        var models = serving.Models;
        var segments = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (request.Method, segments)
        {
            case ("POST", []) or ("POST", ["v1", "detect"]):
                return await DetectAsync(models.Default, request, invocation, cancellationToken).ConfigureAwait(false);
            case ("POST", ["v1", "models", var id, "detect"]):
                return models.Find(id) is { } entry
                    ? await DetectAsync(entry, request, invocation, cancellationToken).ConfigureAwait(false)
                    : Problem(ProblemCatalog.ModelNotFound(id, models.Models.Select(m => m.Id)), invocation);
            case ("GET", ["v1", "model"]):
                return HttpResult.Json(200, ModelInfo.From(models.Default));
            case ("GET", ["v1", "models"]):
                return HttpResult.Json(200, new ModelList([.. models.Models.Select(ModelInfo.From)]));
            case ("GET", ["v1", "models", var id]):
                return models.Find(id) is { } found
                    ? HttpResult.Json(200, ModelInfo.From(found))
                    : Problem(ProblemCatalog.ModelNotFound(id, models.Models.Select(m => m.Id)), invocation);
            case ("GET", ["health", "live"]):
                return HttpResult.Json(200, new LiveResponse("live"));
            case ("GET", ["health", "ready"]):
                var ready = ReadyResponse.From(models);
                return HttpResult.Json(ready.Status == ReadyResponse.ReadyStatus ? 200 : 503, ready);
            case ("GET", ["health", "golden"]):
                var golden = await GoldenResponse.RunAsync(models, serving.Detection, cancellationToken).ConfigureAwait(false);
                return HttpResult.Json(golden.Passed ? 200 : 503, golden);
            default:
                var known = Routes.Contains(request.Path, StringComparer.Ordinal) || segments is ["v1", "models", _] or ["v1", "models", _, "detect"];
                return Problem(known ? ProblemCatalog.MethodNotAllowed(request.Method, request.Path) : ProblemCatalog.NotFound(request.Path), invocation);
        }
    }

    private async Task<HttpResult> DetectAsync(ModelEntry entry, HttpEvent request, Invocation invocation, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (entry.Model is not { } model)
        {
            return Problem(ProblemCatalog.NotReady(entry), invocation);
        }

        var limits = serving.Limits;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limits.RequestTimeoutMs);
        try
        {
            using var detect = await ReadRequestAsync(request, limits.MaxImagesPerRequest, deadline.Token).ConfigureAwait(false);
            if (!DetectionParameters.TryParse(detect, model.DefaultOptions, model.ClassNames, DetectionParameters.NativeExtras, out var options, out var errors))
            {
                return Problem(ProblemCatalog.InvalidParameters(errors), invocation);
            }

            var results = await serving.Detection.DetectAsync(model, detect.Images, options, deadline.Token).ConfigureAwait(false);
            var totalMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var responses = results.Select(r => DetectionResponse.From(model.Summary, r, totalMs)).ToArray();
            return detect.AnswerAsList ? HttpResult.Json(200, responses) : HttpResult.Json(200, responses[0]);
        }
        catch (RequestProblemException ex)
        {
            return Problem(ex.Problem, invocation);
        }
        catch (Exception ex) when (ProblemCatalog.FromException(ex) is { } problem)
        {
            return Problem(problem, invocation);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Problem(ProblemCatalog.DeadlineExceeded(limits.RequestTimeoutMs), invocation);
        }
    }

    /// <exception cref="RequestProblemException">The body cannot be read as an image or a JSON request.</exception>
    private async Task<DetectRequest> ReadRequestAsync(HttpEvent request, int maxImages, CancellationToken cancellationToken)
    {
        var query = request.QueryStringParameters ?? [];
        StringValues Query(string name) => query.TryGetValue(name, out var value) ? value : StringValues.Empty;
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        byte[] body;
        try
        {
            body = request.BodyBytes();
        }
        catch (FormatException)
        {
            throw new RequestProblemException(new Problem(400, "not-an-image", "The body is not an image", "The body is flagged base64 but is not valid base64."));
        }

        if (mediaType == "application/json")
        {
            return await JsonImageRequest.ReadAsync(body, maxImages, serving.Fetcher, new ParameterSource(Query, query.Keys), cancellationToken).ConfigureAwait(false);
        }

        if (mediaType is not null && !mediaType.StartsWith("image/", StringComparison.Ordinal) && mediaType != "application/octet-stream")
        {
            throw new RequestProblemException(ProblemCatalog.UnsupportedMediaType(mediaType, "image/*, application/octet-stream or application/json {\"image\": base64}"));
        }

        return new DetectRequest([body], false, Query, parameterNames: query.Keys);
    }

    private static HttpResult Problem(Problem problem, Invocation invocation)
    {
        var headers = new Dictionary<string, string> { ["content-type"] = "application/problem+json" };
        if (problem.RetryAfterSeconds is { } retryAfter)
        {
            headers["retry-after"] = retryAfter;
        }

        return new HttpResult(problem.Status, headers, JsonSerializer.Serialize(problem.ToDocument(invocation.TraceId ?? invocation.RequestId), DetectionJson.Options));
    }
}
