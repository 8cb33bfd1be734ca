using System.Reflection;
using Inference.Api.Detection;
using Inference.Core.Contracts;
using Inference.Core.Repository;

namespace Inference.Api.Compat.OpenInference;

/// <summary>
/// The Open Inference Protocol v2 over HTTP (KServe, Triton): server and model health and metadata, and inference
/// over the one detection flow, in JSON or with Triton's binary tensor extension. A model is named by its id, its
/// manifest name or an alias; <c>/versions/{version}</c> must be the manifest's version. Errors are the protocol's
/// <c>{"error": ...}</c>, with this service's problem code beside it.
/// </summary>
public static class OpenInferenceEndpoints
{
    public const string Platform = "onnxruntime_onnx";
    public const string BinaryExtension = "binary_tensor_data";

    public static IEndpointRouteBuilder MapOpenInference(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2").WithTags("Open Inference Protocol");
        group.MapGet("", () => TypedResults.Ok(new ServerMetadata("inference", ServerVersion, [BinaryExtension])))
            .WithName("OipServerMetadata")
            .WithSummary("Server metadata: name, version and the extensions supported (binary_tensor_data).")
            .WithDescription("The Open Inference Protocol's server metadata.");
        group.MapGet("/health/live", () => TypedResults.Ok(new ServerLive(true)))
            .WithName("OipServerLive")
            .WithSummary("Server live: 200 while the process runs.")
            .WithDescription("Never requires an API key.");
        group.MapGet("/health/ready", (ModelRepository models) => models.IsReady ? Results.Ok(new ServerReady(true)) : Results.Json(new ServerReady(false), DetectionJson.Options, statusCode: StatusCodes.Status400BadRequest))
            .WithName("OipServerReady")
            .WithSummary("Server ready: 200 once every model is ready; 400 (the protocol's 'false') before.")
            .WithDescription("Never requires an API key.")
            .Produces<ServerReady>()
            .Produces<ServerReady>(StatusCodes.Status400BadRequest);
        foreach (var (prefix, suffix) in new[] { ("/models/{name}", ""), ("/models/{name}/versions/{version}", "Version") })
        {
            group.MapGet(prefix, Metadata)
                .WithName($"OipModelMetadata{suffix}")
                .WithSummary("Model metadata: the BYTES input of encoded images and the four detection outputs.")
                .WithDescription("boxes FP32 [N, K, 4] (x1, y1, x2, y2 in original pixels), scores FP32 [N, K], classes INT32 [N, K] (-1 pads) and count INT32 [N]; K is the most detections of any image in the request.")
                .Produces<ModelMetadata>()
                .Produces<InferenceError>(StatusCodes.Status404NotFound);
            group.MapGet($"{prefix}/ready", Ready)
                .WithName($"OipModelReady{suffix}")
                .WithSummary("Model ready: 200 once the model is ready; 400 (the protocol's 'false') before.")
                .WithDescription("The model is named by its id, its manifest name or an alias.")
                .Produces<ModelReady>()
                .Produces<ModelReady>(StatusCodes.Status400BadRequest)
                .Produces<InferenceError>(StatusCodes.Status404NotFound);
            group.MapPost($"{prefix}/infer", InferAsync)
                .WithName($"OipInfer{suffix}")
                .WithSummary("Inference: detect objects in a BYTES tensor of encoded images.")
                .WithDescription("JSON: the input 'images' (BYTES, shape [N] or [N, 1]) carries each image as a base64 string. Binary (Triton's extension): " +
                    "Inference-Header-Content-Length gives the JSON header's length, the input declares parameters.binary_data_size, and each element follows as " +
                    "a 4-byte little-endian length and the image's bytes. Request parameters: confidence, iou, classes, max_detections, agnostic; " +
                    "binary_data_output (or an output's parameters.binary_data) answers tensors as binary data after the JSON header.")
                .AddOpenApiOperationTransformer((operation, _, _) => InferenceDocumentation.DescribeInfer(operation))
                .Produces<InferenceResponse>()
                .Produces<InferenceError>(StatusCodes.Status400BadRequest)
                .Produces<InferenceError>(StatusCodes.Status404NotFound)
                .Produces<InferenceError>(StatusCodes.Status413PayloadTooLarge)
                .Produces<InferenceError>(StatusCodes.Status415UnsupportedMediaType)
                .Produces<InferenceError>(StatusCodes.Status422UnprocessableEntity)
                .Produces<InferenceError>(StatusCodes.Status429TooManyRequests)
                .Produces<InferenceError>(StatusCodes.Status503ServiceUnavailable);
        }

        return app;
    }

    private static string ServerVersion { get; } =
        typeof(OpenInferenceEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    // One handler serves the routes with and without /versions/{version}: the version, when present, is a route value.
    private static string? Version(HttpContext context) => context.Request.RouteValues["version"] as string;

    private static IResult Metadata(string name, CompatModels models, HttpContext context)
    {
        var (entry, problem) = Resolve(name, Version(context), models);
        if (entry is null)
        {
            return InferenceResults.Error(problem!, context);
        }

        var versions = entry.Model is { } model ? new[] { model.Manifest.Version } : [];
        return TypedResults.Json(new ModelMetadata(name, versions, Platform, DetectionTensors.InputMetadata, DetectionTensors.OutputMetadata), DetectionJson.Options);
    }

    private static IResult Ready(string name, CompatModels models, HttpContext context) =>
        Resolve(name, Version(context), models) switch
        {
            ({ } entry, _) => Results.Json(new ModelReady(name, entry.IsReady), DetectionJson.Options, statusCode: entry.IsReady ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest),
            (_, var problem) => InferenceResults.Error(problem!, context),
        };

    private static async Task<IResult> InferAsync(string name, HttpContext context, CompatModels models, DetectionRunner runner, DetectRequestReader reader)
    {
        var (entry, problem) = Resolve(name, Version(context), models);
        if (entry is null)
        {
            return runner.Refuse("unknown", problem!, p => InferenceResults.Error(p, context));
        }

        InferencePlan? plan = null;
        RequestBody? body = null;
        try
        {
            return await runner.RunAsync(
                entry,
                context,
                async (_, token) =>
                {
                    body = await reader.ReadRawAsync(context.Request, runner.Limits, token).ConfigureAwait(false);
                    var (request, requestPlan) = InferenceRequestReader.Read(body.Contents, context.Request.Headers[InferenceRequestReader.HeaderLength].FirstOrDefault(), runner.Limits.MaxImagesPerRequest);
                    plan = requestPlan;
                    return request;
                },
                DetectionRunner.NativeOptions([]),
                detected => InferenceResults.Answer(name, detected.Model.Manifest.Version, plan!, detected.Results),
                problem => InferenceResults.Error(problem, context)).ConfigureAwait(false);
        }
        finally
        {
            body?.Dispose();
        }
    }

    /// <summary>The entry for a model name (and version), or the problem: 404 for an unknown name or version.</summary>
    private static (ModelEntry? Entry, Problem? Problem) Resolve(string name, string? version, CompatModels models)
    {
        if (models.Find(name) is not { } entry)
        {
            return (null, models.NotFound(name));
        }

        if (version is not null && entry.Model is { } model && model.Manifest.Version != version)
        {
            return (null, ProblemCatalog.ModelVersionNotFound(name, version, model.Manifest.Version));
        }

        return (entry, null);
    }
}
