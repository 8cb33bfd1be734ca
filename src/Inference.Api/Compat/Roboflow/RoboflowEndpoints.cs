using System.Text.Json;
using Inference.Api.Auth;
using Inference.Api.Detection;
using Inference.Api.Errors;
using Inference.Core.Contracts;
using Inference.Core.Inputs;
using Inference.Core.Repository;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Inference.Api.Compat.Roboflow;

/// <summary>
/// Roboflow's two HTTP shapes over the one detection flow, so existing Roboflow clients and curl scripts work here:
/// the hosted API (<c>POST /{project}/{version}</c>, the inference SDK's v0 mode) and the inference server
/// (<c>POST /infer/object_detection</c> with <c>GET /model/registry</c> and <c>POST /model/add</c>, its v1 mode).
/// </summary>
public static class RoboflowEndpoints
{
    public const string HostedImageField = "file";

    // First path segments that belong to other routes, so a POST there is never read as a Roboflow project.
    private const string Reserved = "^(?!(v1|v2|health|infer|model|openapi|metrics|ping|invocations|execution-parameters|ui|docs)$)";

    public static IEndpointRouteBuilder MapRoboflow(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Roboflow");
        group.MapPost($"/{{project:regex({Reserved})}}/{{version}}", HostedAsync)
            .WithName("RoboflowHostedDetect")
            .WithSummary("Roboflow hosted API: detect objects in one image with the model 'project/version'.")
            .WithDescription("The image is base64 text in the body (curl -d @-, or the inference SDK's v0 mode, any content type but multipart and image/*), " +
                "a multipart part named 'file', a raw image/* body, or ?image=<url> when Inputs:AllowUrlFetch is on. confidence and overlap are percentages (40) " +
                "or fractions (0.4): values of 1 and above are percentages. 'project/version' is a model's name and version as GET /v1/models lists them, " +
                "a model id and its version, or an alias from Compat:Aliases.")
            .AddOpenApiOperationTransformer((operation, _, _) => RoboflowDocumentation.DescribeHosted(operation))
            .ProducesRefusals();
        group.MapPost("/infer/object_detection", InferAsync)
            .WithName("RoboflowInferObjectDetection")
            .WithSummary("Roboflow inference server: detect objects in one image or a list with the model named by model_id.")
            .WithDescription("JSON as the inference SDK's v1 mode sends it: model_id, image as {\"type\": \"base64\" | \"url\", \"value\": ...} or a list of them " +
                "(a list is answered as a list), confidence, iou_threshold, class_filter, class_agnostic_nms, max_detections, max_candidates.")
            .AddOpenApiOperationTransformer((operation, _, _) => RoboflowDocumentation.DescribeServer(operation))
            .WithMetadata(new ApiKeyInBody())
            .ProducesRefusals();
        group.MapGet("/model/registry", (CompatModels models) => TypedResults.Ok(Registry(models, null)))
            .WithName("RoboflowModelRegistry")
            .WithSummary("Roboflow inference server: the models this service serves, as model_id 'name/version' and every alias.")
            .WithDescription("The inference SDK's v1 mode reads this before its first inference with a model.");
        group.MapPost("/model/add", AddAsync)
            .WithName("RoboflowModelAdd")
            .WithSummary("Roboflow inference server: 'load' a model, which here means finding it; the registry comes back.")
            .WithDescription("Models are configured, not downloaded on demand: an id this service does not serve is 404.")
            .Accepts<RoboflowAddModel>("application/json")
            .WithMetadata(new ApiKeyInBody())
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<RoboflowResponse>, AnnotatedImageResult, ProblemHttpResult>> HostedAsync(
        string project, string version, HttpContext context, CompatModels models, DetectionRunner runner, DetectRequestReader reader, ImageUrlFetcher fetcher)
    {
        var id = $"{project}/{version}";
        if (models.Find(id) is not { } entry)
        {
            return runner.Refuse<Results<Ok<RoboflowResponse>, AnnotatedImageResult, ProblemHttpResult>>("unknown", models.NotFound(id), p => p.ToResult(context));
        }

        var inferenceId = Guid.NewGuid().ToString();
        RoboflowDrawing? drawing = null;
        return await runner.RunAsync<Results<Ok<RoboflowResponse>, AnnotatedImageResult, ProblemHttpResult>>(
            entry,
            context,
            (_, token) => ReadHostedAsync(context.Request, runner.Limits, reader, fetcher, token),
            (request, model) => RoboflowParameters.FromHosted(request, model, out drawing),
            async (detected, token) => drawing is { InJson: false }
                ? new AnnotatedImageResult(await runner.RenderAsync(detected, drawing.Options, token).ConfigureAwait(false))
                : TypedResults.Ok(RoboflowResponse.From(detected.Results[0], inferenceId, detected.Elapsed, await VisualizationAsync(runner, detected, drawing, 0, token).ConfigureAwait(false))),
            problem => problem.ToResult(context)).ConfigureAwait(false);
    }

    /// <summary>The image with its boxes drawn, as base64 JPEG, when the request asked for it in the JSON.</summary>
    private static async Task<string?> VisualizationAsync(DetectionRunner runner, Detected detected, RoboflowDrawing? drawing, int index, CancellationToken cancellationToken)
    {
        if (drawing is not { InJson: true })
        {
            return null;
        }

        using var image = await runner.RenderAsync(detected, drawing.Options, cancellationToken, index).ConfigureAwait(false);
        return Convert.ToBase64String(image.Bytes);
    }

    private static async Task<DetectRequest> ReadHostedAsync(HttpRequest request, Core.Serving.LimitsOptions limits, DetectRequestReader reader, ImageUrlFetcher fetcher, CancellationToken cancellationToken)
    {
        var query = new ParameterSource(name => request.Query[name], request.Query.Keys);
        if (request.Query["image"] is { Count: 1 } url && !string.IsNullOrEmpty(url))
        {
            var fetched = await fetcher.FetchAsync(url.ToString(), cancellationToken).ConfigureAwait(false);
            return new DetectRequest([fetched], false, query.Lookup, parameterNames: query.Names);
        }

        var media = MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed.MediaType.Value : null;
        if (media is null)
        {
            throw new RequestProblemException(ProblemCatalog.UnsupportedMediaType(null, "base64 text in the body (e.g. application/x-www-form-urlencoded), multipart/form-data with a 'file' part, a raw image/* body, or ?image=<url>"));
        }

        if (media.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) || DetectRequestReader.IsRawImage(media))
        {
            var read = await reader.ReadAsync(request, limits, cancellationToken, HostedImageField, query).ConfigureAwait(false);
            return read.Images.Count == 1 ? read : throw new RequestProblemException(ProblemCatalog.TooManyImages(read.Images.Count, 1));
        }

        // Roboflow reads any other body as base64 text: curl -d sends form-urlencoded, the SDK's v0 mode says application/json.
        // The request keeps the body (and its share of the body budget) until it is done, as the decoded image is as big.
        var body = await reader.ReadRawAsync(request, limits, cancellationToken).ConfigureAwait(false);
        try
        {
            var text = body.Contents.Span;
            if (text.TrimStart(" \t\r\n"u8).StartsWith("{"u8))
            {
                throw new RequestProblemException(ProblemCatalog.MalformedBody("The hosted API takes the image as base64 text in the body; JSON requests go to POST /infer/object_detection."));
            }

            return new DetectRequest([Base64Image.Decode(text, "the body")], false, query.Lookup, [body], query.Names);
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    private static async Task<Results<Ok<RoboflowResponse>, Ok<RoboflowResponse[]>, ProblemHttpResult>> InferAsync(
        HttpContext context, CompatModels models, DetectionRunner runner, DetectRequestReader reader, ImageUrlFetcher fetcher, ApiKeys keys)
    {
        ProblemHttpResult Refuse(string model, Problem problem) => runner.Refuse(model, problem, p => p.ToResult(context));
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var media) || !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Refuse("unknown", ProblemCatalog.UnsupportedMediaType(context.Request.ContentType, "application/json"));
        }

        RequestBody body;
        try
        {
            body = await reader.ReadRawAsync(context.Request, runner.Limits, context.RequestAborted).ConfigureAwait(false);
        }
        catch (RequestProblemException ex)
        {
            return Refuse("unknown", ex.Problem);
        }

        using (body)
        {
            var contents = body.Contents;
            var (id, key) = Peek(contents);
            if (BodyKeyRefusal(context, keys, key) is { } denied)
            {
                return Refuse("unknown", denied);
            }

            if (id is null)
            {
                return Refuse("unknown", ProblemCatalog.MalformedBody("The JSON body must be an object with a model_id string ('project/version')."));
            }

            if (models.Find(id) is not { } entry)
            {
                return Refuse("unknown", models.NotFound(id));
            }

            var query = new ParameterSource(name => context.Request.Query[name], context.Request.Query.Keys);
            var inferenceId = Guid.NewGuid().ToString();
            RoboflowDrawing? drawing = null;
            return await runner.RunAsync<Results<Ok<RoboflowResponse>, Ok<RoboflowResponse[]>, ProblemHttpResult>>(
                entry,
                context,
                (_, token) => JsonImageRequest.ReadAsync(contents, runner.Limits.MaxImagesPerRequest, fetcher, query, token),
                (request, model) => RoboflowParameters.FromServer(request, model, out drawing),
                async (detected, token) =>
                {
                    var answers = new RoboflowResponse[detected.Results.Count];
                    for (var i = 0; i < answers.Length; i++)
                    {
                        // One at a time: each drawing holds a decoded image, and the decode gate bounds them anyway.
                        answers[i] = RoboflowResponse.From(detected.Results[i], inferenceId, detected.Elapsed, await VisualizationAsync(runner, detected, drawing, i, token).ConfigureAwait(false));
                    }

                    return detected.Request.AnswerAsList ? TypedResults.Ok(answers) : TypedResults.Ok(answers[0]);
                },
                problem => problem.ToResult(context)).ConfigureAwait(false);
        }
    }

    private static async Task<Results<Ok<RoboflowRegistry>, ProblemHttpResult>> AddAsync(HttpContext context, CompatModels models, DetectionRunner runner, DetectRequestReader reader, ApiKeys keys)
    {
        ProblemHttpResult Refuse(Problem problem) => runner.Refuse("unknown", problem, p => p.ToResult(context));
        try
        {
            using var body = await reader.ReadRawAsync(context.Request, runner.Limits, context.RequestAborted).ConfigureAwait(false);
            var (id, key) = Peek(body.Contents);
            if (BodyKeyRefusal(context, keys, key) is { } denied)
            {
                return Refuse(denied);
            }

            if (id is null)
            {
                return Refuse(ProblemCatalog.MalformedBody("The JSON body must be an object with a model_id string ('project/version')."));
            }

            return models.Find(id) is null ? Refuse(models.NotFound(id)) : TypedResults.Ok(Registry(models, id));
        }
        catch (RequestProblemException ex)
        {
            return Refuse(ex.Problem);
        }
    }

    /// <summary>
    /// Every servable model under each id a client may use for it; <paramref name="asked"/> is listed too when it
    /// resolves, since the SDK looks its own id up by equality.
    /// </summary>
    private static RoboflowRegistry Registry(CompatModels models, string? asked)
    {
        var ids = new List<(string Id, ModelEntry Entry)>();
        foreach (var entry in models.Repository.Models.Where(m => m.Model is not null))
        {
            ids.Add((CompatModels.RoboflowId(entry), entry));
        }

        foreach (var alias in models.Aliases)
        {
            if (models.Repository.Find(alias.Model) is { Model: not null } entry)
            {
                ids.Add((alias.Id, entry));
            }
        }

        if (asked is not null && models.Find(asked) is { Model: not null } found)
        {
            ids.Add((asked, found));
        }

        return new RoboflowRegistry([.. ids.DistinctBy(i => i.Id).Select(i => Describe(i.Id, i.Entry))]);
    }

    private static RoboflowModelDescription Describe(string id, ModelEntry entry)
    {
        var model = entry.Model!;
        return new RoboflowModelDescription(id, "object-detection", model.Scheduler.MaxBatchSize, model.Input.Height, model.Input.Width);
    }

    /// <summary>
    /// When the request carried no key in its headers or query, the middleware let it through for the body's
    /// <c>api_key</c>: it is checked here, before any image is decoded or fetched.
    /// </summary>
    private static Problem? BodyKeyRefusal(HttpContext context, ApiKeys keys, string? bodyKey)
    {
        if (!keys.Enabled || ApiKeys.Presented(context.Request) is not null || keys.Refusal(bodyKey) is not { } problem)
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"inference\"";
        return problem;
    }

    /// <summary>The body's <c>model_id</c> and <c>api_key</c>, each null when the body is not a JSON object that has it.</summary>
    private static (string? ModelId, string? ApiKey) Peek(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object ? (Member(root, "model_id"), Member(root, ApiKeys.QueryName)) : (null, null);
        }
        catch (JsonException)
        {
            return (null, null);
        }

        static string? Member(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
