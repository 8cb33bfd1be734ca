using Inference.Api.Errors;
using Inference.Core.Contracts;
using Inference.Core.Rendering;
using Inference.Core.Repository;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inference.Api.Detection;

/// <summary><c>POST /v1/detect</c> (the default model) and <c>POST /v1/models/{id}/detect</c>: a thin router over the detection service.</summary>
public static class DetectionEndpoints
{
    public static IEndpointRouteBuilder MapDetection(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Detection");
        Describe(group.MapPost("/detect", (HttpContext context, ModelRepository models, DetectionRunner runner, DetectRequestReader reader) =>
                DetectAsync(models.Default, context, runner, reader))
            .WithName("Detect")
            .WithSummary("Detect objects in one or more images with the default model."));
        Describe(group.MapPost("/models/{id}/detect", DetectWithModelAsync)
            .WithName("DetectWithModel")
            .WithSummary("Detect objects in one or more images with the model of that id.")
            .ProducesProblem(StatusCodes.Status404NotFound));
        return app;
    }

    private static async Task<Results<Ok<DetectionResponse>, Ok<DetectionResponse[]>, AnnotatedImageResult, ProblemHttpResult>> DetectWithModelAsync(
        string id, HttpContext context, ModelRepository models, DetectionRunner runner, DetectRequestReader reader) =>
        models.Find(id) is { } entry
            ? await DetectAsync(entry, context, runner, reader).ConfigureAwait(false)
            : runner.Refuse<Results<Ok<DetectionResponse>, Ok<DetectionResponse[]>, AnnotatedImageResult, ProblemHttpResult>>("unknown", ProblemCatalog.ModelNotFound(id, models.Models.Select(m => m.Id)), p => p.ToResult(context));

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

    private static Task<Results<Ok<DetectionResponse>, Ok<DetectionResponse[]>, AnnotatedImageResult, ProblemHttpResult>> DetectAsync(
        ModelEntry entry, HttpContext context, DetectionRunner runner, DetectRequestReader reader)
    {
        // Set by the parameters, read by the answer: null answers JSON.
        AnnotationOptions? annotation = null;
        return runner.RunAsync<Results<Ok<DetectionResponse>, Ok<DetectionResponse[]>, AnnotatedImageResult, ProblemHttpResult>>(
            entry,
            context,
            (_, token) => reader.ReadAsync(context.Request, runner.Limits, token),
            (request, model) => DetectionRunner.NativeOptions(request, model, AnnotatedImageResponse.AcceptedTypes(context.Request), out annotation),
            async (detected, token) => annotation is null
                ? detected.Request.AnswerAsList ? TypedResults.Ok(detected.NativeResponses()) : TypedResults.Ok(detected.NativeResponses()[0])
                : new AnnotatedImageResult(await runner.RenderAsync(detected, annotation, token).ConfigureAwait(false)),
            problem => problem.ToResult(context));
    }
}
