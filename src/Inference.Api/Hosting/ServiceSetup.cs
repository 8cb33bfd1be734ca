using Inference.Api.Auth;
using Inference.Api.Compat;
using Inference.Api.Detection;
using Inference.Api.Errors;
using Inference.Api.Health;
using Inference.Api.Models;
using Inference.Api.Observability;
using Inference.Api.OpenApi;
using Inference.Api.Ui;
using Inference.Core.Contracts;
using Inference.Core.Hosting;
using Inference.Core.Repository;
using Inference.Core.Serving;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Inference.Api.Hosting;

public static class ServiceSetup
{
    /// <summary>Options (validated at boot), the serving stack and its loader, metrics, tracing and JSON conventions.</summary>
    public static WebApplicationBuilder AddInferenceService(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddInferenceOptions(builder.Configuration);
        services.Add<ShutdownOptions, ShutdownOptionsValidator>(builder.Configuration, ShutdownOptions.Section);
        services.Add<MemoryOptions, MemoryOptionsValidator>(builder.Configuration, MemoryOptions.Section);
        services.Add<UiOptions, UiOptionsValidator>(builder.Configuration, UiOptions.Section);
        services.AddSingleton<EmbeddedAssets>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>>((kestrel, limits) => kestrel.Limits.MaxRequestBodySize = limits.Value.MaxBodyBytes);
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.TimeoutSeconds));

        services.AddSingleton<InferenceMetrics>();
        services.AddSingleton<IModelObserver>(sp => sp.GetRequiredService<InferenceMetrics>());
        services.AddSingleton<IDetectionObserver>(sp => sp.GetRequiredService<InferenceMetrics>());
        services.AddInferenceServing(builder.Environment.ContentRootPath);
        services.AddSingleton(sp => new RequestBuffers(sp.GetRequiredService<IOptions<LimitsOptions>>().Value));
        services.AddSingleton(sp => new RequestBodyGate(sp.GetRequiredService<IOptions<LimitsOptions>>().Value));
        services.AddSingleton<DetectRequestReader>();
        services.AddSingleton<DetectionRunner>();
        services.AddCompatibleFrontEnds(builder.Configuration);
        services.AddApiKeys(builder.Configuration);
        services.AddHostedService<ModelRepositoryLoader>();
        services.AddHostedService<GracefulShutdown>();
        services.AddSingleton<RequestActivity>();
        services.AddHostedService<IdleMemoryRelease>();
        services.Add<EmfOptions, EmfOptionsValidator>(builder.Configuration, EmfOptions.Section);
        services.AddHostedService(sp => new EmfPublisher(
            sp.GetRequiredService<IOptions<EmfOptions>>(), sp.GetRequiredService<ModelRepository>(), sp.GetRequiredService<TimeProvider>()));

        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = Problems.Complete);
        services.AddOpenApi(OpenApiConventions.Apply);
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = DetectionJson.Options.PropertyNamingPolicy;
            json.SerializerOptions.DefaultIgnoreCondition = DetectionJson.Options.DefaultIgnoreCondition;

            // Numbers are read and written as numbers only, so the OpenAPI schemas say "number", not "number or string".
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
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
        app.UseApiKeys();
        return app;
    }

    /// <summary>Prometheus at /metrics and the OpenAPI document at /openapi/v1.json.</summary>
    public static WebApplication MapObservability(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/metrics", WriteMetricsAsync)
            .WithName("Metrics")
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
