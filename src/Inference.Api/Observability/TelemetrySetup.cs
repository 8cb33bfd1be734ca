using Inference.Core.Telemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Inference.Api.Observability;

public static class TelemetrySetup
{
    public const string ServiceName = "inference-api";

    /// <summary>
    /// Traces: ASP.NET Core requests plus a span per pipeline stage. The OTLP exporter switches on when
    /// OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the standard OTEL_* variables itself).
    /// Logs: JSON on the console with the trace and span ids, as CloudWatch ingests them.
    /// </summary>
    public static WebApplicationBuilder AddInferenceTelemetry(this WebApplicationBuilder builder)
    {
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        var exportOtlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(InferenceTelemetry.SourceName)
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsScrapeOrProbe(context.Request.Path));
                if (exportOtlp)
                {
                    tracing.AddOtlpExporter();
                }
            });
        return builder;
    }

    /// <summary>Health probes and scrapes arrive every few seconds and say nothing about inference.</summary>
    public static bool IsScrapeOrProbe(PathString path) =>
        path.StartsWithSegments("/metrics", StringComparison.Ordinal) || path.StartsWithSegments("/health/live", StringComparison.Ordinal) ||
        path.StartsWithSegments("/health/ready", StringComparison.Ordinal);
}
