using Inference.Api.Errors;
using Inference.Core.Contracts;
using Inference.Core.Repository;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inference.Api.Models;

/// <summary>The model repository's contents: every model with its state, one by id, and the default one.</summary>
public static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Models");
        group.MapGet("/models", (ModelRepository models) => TypedResults.Ok(new ModelList([.. models.Models.Select(ModelInfo.From)])))
            .WithName("ListModels")
            .WithDescription("The default model comes first. A model still loading, or failed, is listed with its state and reason only.")
            .WithSummary("Every configured model with its state; manifest facts, provider, batching, input and classes once loaded.");
        group.MapGet("/models/{id}", Results<Ok<ModelInfo>, ProblemHttpResult> (string id, ModelRepository models, HttpContext context) =>
                models.Find(id) is { } entry
                    ? TypedResults.Ok(ModelInfo.From(entry))
                    : ProblemCatalog.ModelNotFound(id, models.Models.Select(m => m.Id)).ToResult(context))
            .WithName("GetModelById")
            .WithDescription("404 when no model has that id; the problem names the ids served.")
            .WithSummary("One model by id, in the same shape as the list.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/model", Results<Ok<ModelInfo>, ProblemHttpResult> (ModelRepository models, HttpContext context) =>
                models.Default.Model is null
                    ? ProblemCatalog.NotReady(models.Default).ToResult(context)
                    : TypedResults.Ok(ModelInfo.From(models.Default)))
            .WithName("GetModel")
            .WithDescription("What /v1/detect serves.")
            .WithSummary("The default model, as /v1/models/{id} shows it; 503 until it is loaded.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }
}
