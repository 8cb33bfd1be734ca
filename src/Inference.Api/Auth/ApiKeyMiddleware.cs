using Inference.Api.Compat.OpenInference;
using Inference.Api.Errors;

namespace Inference.Api.Auth;

/// <summary>
/// Refuses requests without an accepted API key when <c>Auth:ApiKeys</c> is set. Probes (<c>/health/*</c>,
/// <c>/v2/health/*</c>, SageMaker's <c>/ping</c>) and <c>/metrics</c> are always open, so orchestrators and
/// Prometheus need no key; so are the demo page and the API reference, which only describe. Routes marked
/// <see cref="ApiKeyInBody"/> take Roboflow's key from the JSON body instead and check it themselves before doing any
/// work.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeys keys)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!keys.Enabled || IsExempt(context.Request.Path))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var key = ApiKeys.Presented(context.Request);
        if (key is null && context.GetEndpoint()?.Metadata.GetMetadata<ApiKeyInBody>() is not null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (keys.Refusal(key) is { } problem)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"inference\"";
            var result = context.Request.Path.StartsWithSegments("/v2") ? InferenceResults.Error(problem, context) : problem.ToResult(context);
            await result.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    public static bool IsExempt(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/v2/health") || path == "/ping" || path == "/metrics"
        || IsStaticText(path);

    // The demo page, its assets, the API reference and its document are fixed text that runs nothing and names no
    // model: a browser cannot attach a key to a page load, and the page itself asks for the key its calls need.
    private static bool IsStaticText(PathString path) =>
        path == "/" || path.StartsWithSegments("/ui") || path.StartsWithSegments("/docs") || path == "/openapi/v1.json";
}

/// <summary>Marks a route whose clients may send the API key as an <c>api_key</c> member of the JSON body (Roboflow's v1 SDK).</summary>
public sealed class ApiKeyInBody;
