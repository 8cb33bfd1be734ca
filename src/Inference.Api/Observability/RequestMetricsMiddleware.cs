using System.Diagnostics;
using Inference.Api.Hosting;

namespace Inference.Api.Observability;

/// <summary>
/// Times every request under its route template (not the raw path, which would explode the label set), and counts
/// traffic for idle memory release (probes and scrapes arrive every few seconds and are not traffic).
/// </summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, InferenceMetrics metrics, RequestActivity activity)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        var traffic = !TelemetrySetup.IsScrapeOrProbe(context.Request.Path);
        if (traffic)
        {
            activity.Started();
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.RequestFinished(route, context.Response.StatusCode, Stopwatch.GetElapsedTime(start));
            if (traffic)
            {
                activity.Ended();
            }
        }
    }
}
