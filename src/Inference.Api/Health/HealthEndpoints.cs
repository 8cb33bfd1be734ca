using Inference.Api.Errors;
using Inference.Api.Model;
using Inference.Core.Contracts;
using Inference.Core.Pipeline;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inference.Api.Health;

/// <summary>
/// Liveness for the container, readiness for the load balancer, and golden checks for deployment hooks,
/// which call them on the test listener before traffic moves.
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health");
        group.MapGet("/live", () => TypedResults.Ok(new LiveResponse("live")))
            .WithSummary("200 while the process runs.");
        group.MapGet("/ready", Ready)
            .WithSummary("200 only once the pinned model is loaded, verified and warmed at every batch size; 503 with the reason otherwise, and from the moment shutdown begins.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/golden", GoldenAsync)
            .WithSummary("Runs the manifest's golden checks through the full pipeline: 200 when they pass, 503 when not.")
            .Produces<GoldenResponse>(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static Results<Ok<ReadyResponse>, ProblemHttpResult> Ready(ModelHost host)
    {
        if (!host.IsReady || host.Model is not { } model)
        {
            return Problems.NotReady(host);
        }

        var manifest = model.Detector.Manifest;
        return TypedResults.Ok(new ReadyResponse("ready", manifest.Name, manifest.Version, model.Detector.Sha256, model.Detector.ActiveProvider));
    }

    private static async Task<Results<Ok<GoldenResponse>, JsonHttpResult<GoldenResponse>, ProblemHttpResult>> GoldenAsync(ModelHost host, CancellationToken cancellationToken)
    {
        if (!host.IsReady || host.Model is not { } model)
        {
            return Problems.NotReady(host);
        }

        var manifest = model.Detector.Manifest;

        // Through the batcher, exactly as client traffic goes.
        var results = await GoldenChecks.RunAsync(
            manifest,
            model.Pipeline.DefaultOptions,
            async (image, options, token) =>
            {
                using var inference = await model.Batcher.InferAsync(image, token).ConfigureAwait(false);
                return inference.Postprocess(options);
            },
            cancellationToken).ConfigureAwait(false);

        var response = GoldenResponse.From(manifest, results);
        return response.Passed ? TypedResults.Ok(response) : TypedResults.Json(response, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
