using Inference.Api.Errors;
using Inference.Core.Contracts;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Inference.Api.Ui;

/// <summary>
/// The demo page at <c>/</c> with its files under <c>/ui/</c> (off with <c>Ui:Enabled=false</c>), and the
/// interactive API reference at <c>/docs</c> over the OpenAPI document, its script served from this process.
/// </summary>
public static class UiEndpoints
{
    // Nothing the page loads or calls may leave this origin; the browser enforces it, not only our discipline.
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapUi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var enabled = app.ServiceProvider.GetRequiredService<IOptions<UiOptions>>().Value.Enabled;
        if (enabled)
        {
            var group = app.MapGroup("").WithTags("Demo page").ExcludeFromDescription();
            group.MapGet("/", (HttpContext context, EmbeddedAssets assets) => Serve(context, assets, "index.html"));
            group.MapGet("/ui/{file}", (string file, HttpContext context, EmbeddedAssets assets) => Serve(context, assets, file));
        }
        else
        {
            // Without this, routing would answer the page's old URLs with a 405 naming Roboflow's POST /{project}/{version}
            // (ASP.NET Core picks 405 before it checks route constraints).
            app.MapGet("/ui/{**file}", (HttpContext context) => ProblemCatalog.NotFound(context.Request.Path).ToResult(context)).ExcludeFromDescription();
        }

        app.MapScalarApiReference("/docs", options => options
            .WithTitle("Object detection API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            // Scalar's defaults fetch fonts from a CDN and send telemetry; this page stays on this host.
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp());
        return app;
    }

    private static IResult Serve(HttpContext context, EmbeddedAssets assets, string file)
    {
        if (assets.Find(file) is not { } asset)
        {
            return ProblemCatalog.NotFound(context.Request.Path).ToResult(context);
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidated every time: a new release's page must never run against an old script.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }
}
