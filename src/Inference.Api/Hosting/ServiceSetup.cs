using Inference.Api.Health;
using Inference.Api.Model;
using Inference.Api.Observability;
using Inference.Core.Batching;
using Inference.Core.Contracts;
using Inference.Core.Model;
using Inference.Core.Sources;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Inference.Api.Hosting;

public static class ServiceSetup
{
    /// <summary>Options (validated at boot), the model host and its loader, metrics, tracing and JSON conventions.</summary>
    public static WebApplicationBuilder AddInferenceService(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<ModelOptions>(ModelOptions.Section, o => o.Validate());
        services.AddValidatedOptions<DetectorOptions>("Inference", o => o.Validate());
        services.AddValidatedOptions<BatchingOptions>("Batching", o => o.Validate());
        services.AddValidatedOptions<LimitsOptions>(LimitsOptions.Section, o => o.Validate());
        services.AddValidatedOptions<ShutdownOptions>(ShutdownOptions.Section, o => o.Validate());
        services.AddValidatedOptions<S3Options>("S3", o => o.Validate());

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>>((kestrel, limits) => kestrel.Limits.MaxRequestBodySize = limits.Value.MaxBodyBytes);
        services.AddOptions<FormOptions>().Configure<IOptions<LimitsOptions>>((form, limits) =>
        {
            form.MultipartBodyLengthLimit = limits.Value.MaxBodyBytes;

            // Keep uploads in memory (bounded by the body limit): no temp files on the request path.
            form.MemoryBufferThreshold = (int)Math.Min(limits.Value.MaxBodyBytes, int.MaxValue);
            form.ValueCountLimit = limits.Value.MaxImagesPerRequest + 16;
        });
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.TimeoutSeconds));

        services.AddSingleton<InferenceMetrics>();
        services.AddSingleton<ModelHost>();
        services.AddHostedService<ModelLoaderService>();
        services.AddHostedService<GracefulShutdown>();

        services.AddProblemDetails();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = DetectionJson.Options.PropertyNamingPolicy);
        builder.AddInferenceTelemetry();
        return builder;
    }

    /// <summary>Problem details for every error (unhandled exceptions and bare status codes included) and request metrics.</summary>
    public static WebApplication UseInferenceMiddleware(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestMetricsMiddleware>();
        return app;
    }

    /// <summary>Prometheus at /metrics and the OpenAPI document at /openapi/v1.json.</summary>
    public static WebApplication MapObservability(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/metrics", WriteMetricsAsync)
            .WithTags("Observability")
            .WithSummary("Prometheus metrics in the text exposition format.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        app.MapOpenApi();
        return app;
    }

    // A route handler rather than prometheus-net's MapMetrics, so the scrape endpoint appears in the OpenAPI document.
    private static async Task WriteMetricsAsync(HttpContext context, InferenceMetrics metrics)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
