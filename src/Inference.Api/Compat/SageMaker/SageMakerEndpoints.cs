using System.Text.Json.Serialization;
using Inference.Api.Detection;
using Inference.Api.Errors;
using Inference.Core.Contracts;
using Inference.Core.Rendering;
using Inference.Core.Repository;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inference.Api.Compat.SageMaker;

/// <summary>
/// The SageMaker hosting contract over the one detection flow: <c>GET /ping</c> (200 once every model is ready),
/// <c>POST /invocations</c> (an image or native JSON in, native JSON out, parameters in the custom attributes) and
/// <c>GET /execution-parameters</c> for batch transform. <c>InvokeEndpoint</c> reaches <c>/invocations</c> of the
/// default model.
/// </summary>
public static class SageMakerEndpoints
{
    private static readonly string[] AnswerTypes = [AnnotationParameters.JsonType, .. AnnotatedImageResponse.ImageTypes];

    public static IEndpointRouteBuilder MapSageMaker(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("SageMaker");
        group.MapGet("/ping", Results<Ok, ProblemHttpResult> (ModelRepository models, HttpContext context) =>
                models.Models.FirstOrDefault(m => !m.IsReady) is { } notReady ? ProblemCatalog.NotReady(notReady).ToResult(context) : TypedResults.Ok())
            .WithName("SageMakerPing")
            .WithSummary("SageMaker health check: 200 with an empty body once every model is ready, 503 before.")
            .WithDescription("SageMaker calls this before sending traffic and while serving; it never requires an API key.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapPost("/invocations", InvokeAsync)
            .WithName("SageMakerInvocations")
            .WithSummary("SageMaker inference: detect objects in the body's image (or JSON images) with the default model.")
            .WithDescription("Content-Type image/jpeg, image/png, application/x-image or application/octet-stream (a raw image), or application/json as " +
                "POST /v1/detect takes it (a list of images is answered as a list). Parameters come as X-Amzn-SageMaker-Custom-Attributes: " +
                "confidence=0.4;iou=0.5;classes=person,cup;max_detections=100;agnostic=true. The answer is /v1/detect's JSON, " +
                "or with Accept: image/jpeg or image/png the image with its boxes drawn (labels and stroke as custom attributes too).")
            .AddOpenApiOperationTransformer((operation, _, _) => Describe(operation))
            .ProducesRefusals()
            .ProducesProblem(StatusCodes.Status406NotAcceptable);
        group.MapGet("/execution-parameters", ExecutionParameters)
            .WithName("SageMakerExecutionParameters")
            .WithSummary("SageMaker batch transform: how many requests to send at once, one image per request, and the largest payload.")
            .WithDescription("MaxConcurrentTransforms fills the default model's batches (max batch size times instances); MaxPayloadInMB follows Limits:MaxBodyBytes.");
        return app;
    }

    private static async Task<Results<Ok<DetectionResponse>, Ok<DetectionResponse[]>, AnnotatedImageResult, ProblemHttpResult>> InvokeAsync(
        HttpContext context, ModelRepository models, DetectionRunner runner, DetectRequestReader reader)
    {
        var accepted = AnnotatedImageResponse.AcceptedTypes(context.Request);
        if (AcceptRefusal(context.Request, accepted) is { } refusal)
        {
            return runner.Refuse(models.Default.Id, refusal, p => p.ToResult(context));
        }

        // Set by the parameters (Accept: image/jpeg or image/png), read by the answer: null answers JSON.
        AnnotationOptions? annotation = null;
        return await runner.RunAsync<Results<Ok<DetectionResponse>, Ok<DetectionResponse[]>, AnnotatedImageResult, ProblemHttpResult>>(
            models.Default,
            context,
            (_, token) => reader.ReadAsync(context.Request, runner.Limits, token, parameters: CustomAttributes.Parse(context.Request.Headers[CustomAttributes.Header])),
            (request, model) => DetectionRunner.NativeOptions(request, model, accepted, out annotation),
            async (detected, token) => annotation is null
                ? detected.Request.AnswerAsList ? TypedResults.Ok(detected.NativeResponses()) : TypedResults.Ok(detected.NativeResponses()[0])
                : new AnnotatedImageResult(await runner.RenderAsync(detected, annotation, token).ConfigureAwait(false)),
            problem => problem.ToResult(context)).ConfigureAwait(false);
    }

    /// <summary>JSON, or the annotated image as JPEG or PNG; anything else is 406.</summary>
    private static Problem? AcceptRefusal(HttpRequest request, IReadOnlyList<string> accepted)
    {
        if (accepted.Count == 0 || accepted.Any(t => t is "*/*" or "application/*" || AnswerTypes.Contains(t, StringComparer.OrdinalIgnoreCase)))
        {
            return null;
        }

        return ProblemCatalog.NotAcceptable(request.Headers.Accept, string.Join(", ", AnswerTypes));
    }

    private static Ok<ExecutionParameters> ExecutionParameters(ModelRepository models, Microsoft.Extensions.Options.IOptions<Core.Scheduling.BatchingOptions> batching, DetectionRunner runner)
    {
        // Before the model has loaded its provider is unknown; the CPU's smaller batch is the answer that cannot overload.
        var concurrent = models.Default.Model is { } model
            ? model.Scheduler.MaxBatchSize * model.Instances
            : batching.Value.MaxBatchSizeFor(Core.Backends.OnnxSessionFactory.CpuProvider);
        var payloadMb = (int)Math.Clamp(runner.Limits.MaxBodyBytes / (1024 * 1024), 1, 100);
        return TypedResults.Ok(new ExecutionParameters(concurrent, "SINGLE_RECORD", payloadMb));
    }

    private static Task Describe(Microsoft.OpenApi.OpenApiOperation operation)
    {
        DetectRequestDocumentation.Describe(operation);
        operation.Parameters?.Clear();
        operation.Parameters ??= [];
        operation.Parameters.Add(new Microsoft.OpenApi.OpenApiParameter
        {
            Name = CustomAttributes.Header,
            In = Microsoft.OpenApi.ParameterLocation.Header,
            Required = false,
            Description = "Detect parameters as name=value pairs separated by ';': confidence (0-1), iou (0-1), classes, max_detections (1-10000), agnostic.",
            Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, MaxLength = 1024 },
        });
        operation.RequestBody?.Content?.TryAdd("application/x-image", new Microsoft.OpenApi.OpenApiMediaType { Schema = OpenApi.OperationDocs.Binary("The image's bytes.") });
        return Task.CompletedTask;
    }
}

/// <summary>What SageMaker batch transform reads from <c>GET /execution-parameters</c> (its own PascalCase names).</summary>
public sealed record ExecutionParameters(
    [property: JsonPropertyName("MaxConcurrentTransforms")] int MaxConcurrentTransforms,
    [property: JsonPropertyName("BatchStrategy")] string BatchStrategy,
    [property: JsonPropertyName("MaxPayloadInMB")] int MaxPayloadInMb);
