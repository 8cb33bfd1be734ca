using Inference.Api.Errors;
using Inference.Core.Contracts;
using Inference.Core.Repository;
using Inference.Core.Serving;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inference.Api.Health;

/// <summary>
/// Liveness for the container, readiness for the load balancer, and golden checks for deployment hooks, which call
/// them on the test listener before traffic moves.
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health");
        group.MapGet("/live", () => TypedResults.Ok(new LiveResponse("live")))
            .WithName("Live")
            .WithSummary("200 while the process runs.");
        group.MapGet("/ready", Ready)
            .WithName("Ready")
            .WithSummary("200 only once every configured model is loaded, verified and warmed; 503 with each model's state and reason otherwise, and from the moment shutdown begins.")
            .Produces<ReadyResponse>(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/golden", GoldenAsync)
            .WithName("Golden")
            .WithSummary("Runs every model's golden checks through the full request path: 200 when all pass, 503 when not.")
            .Produces<GoldenResponse>(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static Results<Ok<ReadyResponse>, JsonHttpResult<ReadyResponse>> Ready(ModelRepository models)
    {
        var response = ReadyResponse.From(models);
        return response.Status == ReadyResponse.ReadyStatus ? TypedResults.Ok(response) : TypedResults.Json(response, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<Results<Ok<GoldenResponse>, JsonHttpResult<GoldenResponse>, ProblemHttpResult>> GoldenAsync(
        ModelRepository models, DetectionService detection, HttpContext context, CancellationToken cancellationToken)
    {
        if (models.Models.FirstOrDefault(m => !m.IsReady) is { } notReady)
        {
            return ProblemCatalog.NotReady(notReady).ToResult(context);
        }

        var response = await GoldenResponse.RunAsync(models, detection, cancellationToken).ConfigureAwait(false);
        return response.Passed ? TypedResults.Ok(response) : TypedResults.Json(response, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
