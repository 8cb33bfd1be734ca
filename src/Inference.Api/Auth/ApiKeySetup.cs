using Inference.Core.Hosting;

namespace Inference.Api.Auth;

public static class ApiKeySetup
{
    public static IServiceCollection AddApiKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.Add<ApiKeyOptions, ApiKeyOptionsValidator>(configuration, ApiKeyOptions.Section);

        // A secret injected as one environment variable (Auth__ApiKeys=hash1,hash2) is a scalar, which the binder
        // skips for a list: without this, keys configured that way would silently be off. Read from the final
        // configuration, as the binder does.
        services.AddOptions<ApiKeyOptions>().PostConfigure<IConfiguration>((options, config) =>
        {
            if (config.GetSection($"{ApiKeyOptions.Section}:{nameof(ApiKeyOptions.ApiKeys)}").Value is { } scalar && !string.IsNullOrWhiteSpace(scalar))
            {
                options.ApiKeys.Add(scalar);
            }
        });

        services.AddSingleton<ApiKeys>();
        return services;
    }

    /// <summary>Checks keys after routing (the route says whether its key may come in the body), before any handler runs.</summary>
    public static IApplicationBuilder UseApiKeys(this IApplicationBuilder app) => app.UseMiddleware<ApiKeyMiddleware>();
}
