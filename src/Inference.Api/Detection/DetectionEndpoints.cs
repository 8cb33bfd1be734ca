using System.Diagnostics;
using Inference.Api.Errors;
using Inference.Api.Hosting;
using Inference.Api.Model;
using Inference.Api.Observability;
using Inference.Core.Batching;
using Inference.Core.Contracts;
using Inference.Core.Imaging;
using Inference.Core.Postprocessing;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Inference.Api.Detection;

public static class DetectionEndpoints
{
    public static IEndpointRouteBuilder MapDetection(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Detection");
        group.MapPost("/detect", DetectAsync)
            .WithName("Detect")
            .WithSummary("Detect objects in one or more images.")
            .WithDescription("multipart/form-data with one or more 'image' parts (several are answered as a list), or a raw image body. " +
                "Parameters, as query or form fields: confidence (0-1), iou, classes (names or ids, comma separated), max_detections, agnostic.")
            .AddOpenApiOperationTransformer((operation, _, _) => DetectRequestDocumentation.Describe(operation))
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Results<Ok<DetectionResponse>, Ok<DetectionResponse[]>, ValidationProblem, ProblemHttpResult>> DetectAsync(
        HttpContext context,
        ModelHost host,
        InferenceMetrics metrics,
        IOptions<LimitsOptions> limitsOptions)
    {
        using var pending = metrics.TrackPending();
        var started = Stopwatch.GetTimestamp();
        var limits = limitsOptions.Value;

        // While draining after SIGTERM the model is still here and requests are still answered.
        if (host.Model is not { } model)
        {
            return Refuse(metrics, "not_ready", Problems.NotReady(host));
        }

        var (request, problem) = await DetectRequestReader.ReadAsync(context.Request, limits, context.RequestAborted).ConfigureAwait(false);
        if (request is null)
        {
            return Refuse(metrics, problem!.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "too_large",
                StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
                _ => "malformed_body",
            }, problem);
        }

        if (!DetectionParameters.TryParse(request.Parameter, model.Pipeline.DefaultOptions, model.Detector.ClassNames, out var options, out var errors))
        {
            metrics.Outcome("invalid_parameters");
            return TypedResults.ValidationProblem(errors, title: "Invalid parameters", type: "urn:inference:problem:invalid-parameters");
        }

        using var deadline = new CancellationTokenSource(limits.RequestTimeoutMs);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        try
        {
            var responses = await InferAllAsync(model, request.Images, options, started, metrics, linked.Token).ConfigureAwait(false);
            metrics.Outcome("ok");
            return request.AnswerAsList ? TypedResults.Ok(responses) : TypedResults.Ok(responses[0]);
        }
        catch (ImageDecodeException ex)
        {
            metrics.Outcome("invalid_image");
            return Problems.Image(ex);
        }
        catch (QueueFullException ex)
        {
            return Refuse(metrics, "queue_full", Problems.QueueFull(context, ex));
        }
        catch (BatcherStoppedException)
        {
            return Refuse(metrics, "shutting_down", Problems.ShuttingDown());
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            return Refuse(metrics, "deadline", Problems.DeadlineExceeded(limits.RequestTimeoutMs));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone and its work was dropped; 499 is only for logs and metrics.
            metrics.Outcome("cancelled");
            return Problems.Create(StatusCodes.Status499ClientClosedRequest, "client-closed-request", "Client closed request", "The client disconnected before the answer was ready.");
        }
        catch (Exception)
        {
            // The exception handler answers 500 and logs it; the outcome still counts.
            metrics.Outcome("error");
            throw;
        }
    }

    private static async Task<DetectionResponse[]> InferAllAsync(
        LoadedModel model,
        IReadOnlyList<ReadOnlyMemory<byte>> images,
        DetectionOptions options,
        long started,
        InferenceMetrics metrics,
        CancellationToken cancellationToken)
    {
        // Several images decode in parallel on request threads; a single one stays on this thread.
        var tasks = new Task<BatchedInference>[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            tasks[i] = images.Count == 1
                ? model.Batcher.InferAsync(image, cancellationToken)
                : Task.Run(() => model.Batcher.InferAsync(image, cancellationToken), cancellationToken);
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            foreach (var task in tasks.Where(t => t.IsCompletedSuccessfully))
            {
                task.Result.Dispose();
            }

            // A bad image is the most useful thing to report, by its position in the request.
            for (var i = 0; i < tasks.Length; i++)
            {
                if (tasks[i].Exception?.InnerException is ImageDecodeException failure)
                {
                    throw images.Count == 1 ? failure : failure.WithImageIndex(i);
                }
            }

            throw;
        }

        var manifest = model.Detector.Manifest;
        var summary = new ModelSummary(manifest.Name, manifest.Version, model.Detector.Sha256);
        var responses = new DetectionResponse[tasks.Length];
        for (var i = 0; i < tasks.Length; i++)
        {
            using var inference = tasks[i].Result;
            var detections = inference.Postprocess(options);
            metrics.ImageServed(inference.DecodeMs + inference.PreprocessMs, inference.QueueMs, inference.PostprocessMs);
            responses[i] = new DetectionResponse(
                summary,
                new ImageSize(inference.Width, inference.Height),
                detections.Select(DetectedObject.From).ToArray(),
                new StageTimingsMs(
                    Round(inference.DecodeMs),
                    Round(inference.PreprocessMs),
                    Round(inference.QueueMs),
                    Round(inference.InferenceMs),
                    Round(inference.PostprocessMs),
                    Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds),
                    inference.BatchSize));
        }

        return responses;
    }

    private static ProblemHttpResult Refuse(InferenceMetrics metrics, string reason, ProblemHttpResult problem)
    {
        metrics.Rejected(reason);
        metrics.Outcome(reason);
        return problem;
    }

    private static double Round(double milliseconds) => Math.Round(milliseconds, 3);
}
