using Inference.Api.Errors;
using Inference.Core.Model;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inference.Api.Model;

/// <summary>
/// What <c>GET /v1/model</c> tells: the manifest facts, the provider, batching and the classes. <c>input</c> is what
/// runs; <c>defaulted</c> lists every value the manifest left out and what decided it (the model, or its format).
/// </summary>
public sealed record ModelInfoResponse(
    string Name,
    string Version,
    string Sha256,
    string Format,
    string Provider,
    ModelState State,
    InputSpec Input,
    BatchingInfo Batching,
    PostprocessDefaults Defaults,
    IReadOnlyList<string> Classes,
    double StartupMs,
    IReadOnlyList<DefaultedValue> Defaulted);

public sealed record BatchingInfo(int MaxBatchSize, int MaxDelayMs, int MaxQueue, int? StaticBatchSize, bool DynamicBatch, IReadOnlyCollection<int> WarmedBatchSizes);

public static class ModelInfoEndpoints
{
    public static IEndpointRouteBuilder MapModelInfo(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1").WithTags("Model")
            .MapGet("/model", GetModel)
            .WithName("GetModel")
            .WithSummary("The served model: manifest facts, execution provider, batching, input and classes.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static Results<Ok<ModelInfoResponse>, ProblemHttpResult> GetModel(ModelHost host)
    {
        if (host.Model is not { } model)
        {
            return Problems.NotReady(host);
        }

        var detector = model.Detector;
        var manifest = detector.Manifest;
        var batcher = model.Batcher;
        return TypedResults.Ok(new ModelInfoResponse(
            manifest.Name,
            manifest.Version,
            detector.Sha256,
            OutputLayout.Name(detector.Format),
            detector.ActiveProvider,
            host.State,
            detector.Input,
            new BatchingInfo(batcher.MaxBatchSize, batcher.Options.MaxDelayMs, batcher.Options.MaxQueue, detector.StaticBatchSize, detector.HasDynamicBatch, detector.WarmedBatchSizes),
            manifest.Postprocess,
            detector.ClassNames,
            Math.Round(model.StartupTime.TotalMilliseconds, 1),
            detector.Defaulted));
    }
}
