using System.Diagnostics;

namespace Inference.Api.Observability;

/// <summary>Times every request under its route template (not the raw path, which would explode the label set).</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, InferenceMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.RequestFinished(route, context.Response.StatusCode, Stopwatch.GetElapsedTime(start));
        }
    }
}
