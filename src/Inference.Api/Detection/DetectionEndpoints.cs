using System.Diagnostics;
using Inference.Api.Errors;
using Inference.Api.Observability;
using Inference.Core.Contracts;
using Inference.Core.Rendering;
using Inference.Core.Repository;
using Inference.Core.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Inference.Api.Detection;

/// <summary><c>POST /v1/detect</c> (the default model) and <c>POST /v1/models/{id}/detect</c>: a thin router over the detection service.</summary>
public static class DetectionEndpoints
{
    public static IEndpointRouteBuilder MapDetection(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Detection");
        Describe(group.MapPost("/detect", (HttpContext context, ModelRepository models, DetectionService detection, AnnotationRenderer renderer, DetectRequestReader reader, InferenceMetrics metrics, IOptions<LimitsOptions> limits) =>
                DetectAsync(models.Default, context, detection, renderer, reader, metrics, limits.Value))
            .WithName("Detect")
            .WithSummary("Detect objects in one or more images with the default model."));
        Describe(group.MapPost("/models/{id}/detect", DetectWithModelAsync)
            .WithName("DetectWithModel")
            .WithSummary("Detect objects in one or more images with the model of that id.")
            .ProducesProblem(StatusCodes.Status404NotFound));
        return app;
    }

    private static async Task<Results<Ok<DetectionResponse>, Ok<DetectionResponse[]>, AnnotatedImageResult, ProblemHttpResult>> DetectWithModelAsync(
        string id, HttpContext context, ModelRepository models, DetectionService detection, AnnotationRenderer renderer, DetectRequestReader reader, InferenceMetrics metrics, IOptions<LimitsOptions> limits) =>
        models.Find(id) is { } entry
            ? await DetectAsync(entry, context, detection, renderer, reader, metrics, limits.Value).ConfigureAwait(false)
            : Refuse(context, metrics, "unknown", ProblemCatalog.ModelNotFound(id, models.Models.Select(m => m.Id)));

    private static RouteHandlerBuilder Describe(RouteHandlerBuilder route) => route
        .WithDescription("multipart/form-data with one or more 'image' parts (several are answered as a list), a raw image body, or JSON with base64 images. " +
            "Parameters, as query or form fields (or JSON members): confidence (0-1), iou, classes (names or ids, comma separated), max_detections, agnostic. " +
            "format=image (or Accept: image/jpeg or image/png) answers the image itself with the boxes drawn, for one image; labels=false leaves out the captions and stroke=N sets the line width in pixels.")
        .AddOpenApiOperationTransformer((operation, _, _) => DetectRequestDocumentation.Describe(operation))
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<Results<Ok<DetectionResponse>, Ok<DetectionResponse[]>, AnnotatedImageResult, ProblemHttpResult>> DetectAsync(
        ModelEntry entry,
        HttpContext context,
        DetectionService detection,
        AnnotationRenderer renderer,
        DetectRequestReader reader,
        InferenceMetrics metrics,
        LimitsOptions limits)
    {
        using var pending = metrics.TrackPending();
        var started = Stopwatch.GetTimestamp();

        // While draining after SIGTERM the model is still here and requests are still answered.
        if (entry.Model is not { } model)
        {
            return Refuse(context, metrics, entry.Id, ProblemCatalog.NotReady(entry));
        }

        using var deadline = new CancellationTokenSource(limits.RequestTimeoutMs);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        try
        {
            // Admitted before the body is read: a request the queue cannot take costs no upload buffering.
            using var admission = model.Scheduler.Admit(1);
            using var request = await reader.ReadAsync(context.Request, limits, linked.Token).ConfigureAwait(false);
            var detectionValid = DetectionParameters.TryParse(request.Parameter, model.DefaultOptions, model.ClassNames, out var options, out var errors);
            var annotationValid = AnnotatedImageResponse.TryRead(context.Request, request.Parameter, request.Images.Count, out var annotation, out var annotationErrors);
            if (!detectionValid || !annotationValid)
            {
                return Refuse(context, metrics, model.Id, ProblemCatalog.InvalidParameters(errors.Concat(annotationErrors).ToDictionary()));
            }

            var results = await detection.DetectAsync(model, admission, request.Images, options, linked.Token).ConfigureAwait(false);
            if (annotation is not null)
            {
                var image = await AnnotatedImageResponse.RenderAsync(renderer, request.Images[0], results[0], annotation, linked.Token).ConfigureAwait(false);
                metrics.Outcome(model.Id, "ok");
                return image;
            }

            metrics.Outcome(model.Id, "ok");
            var totalMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var responses = results.Select(r => DetectionResponse.From(model.Summary, r, totalMs)).ToArray();
            return request.AnswerAsList ? TypedResults.Ok(responses) : TypedResults.Ok(responses[0]);
        }
        catch (RequestProblemException ex)
        {
            return Refuse(context, metrics, model.Id, ex.Problem);
        }
        catch (Exception ex) when (ProblemCatalog.FromException(ex) is { } problem)
        {
            return Refuse(context, metrics, model.Id, problem);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            return Refuse(context, metrics, model.Id, ProblemCatalog.DeadlineExceeded(limits.RequestTimeoutMs));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone and its work was dropped; 499 is only for logs and metrics.
            return Refuse(context, metrics, model.Id, ProblemCatalog.ClientClosedRequest());
        }
        catch (Exception)
        {
            // The exception handler answers 500 and logs it; the outcome still counts.
            metrics.Outcome(model.Id, "error");
            throw;
        }
    }

    private static ProblemHttpResult Refuse(HttpContext context, InferenceMetrics metrics, string model, Problem problem)
    {
        metrics.Refused(model, problem);
        return problem.ToResult(context);
    }
}
