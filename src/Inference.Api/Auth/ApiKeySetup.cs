using Inference.Core.Hosting;

namespace Inference.Api.Auth;

public static class ApiKeySetup
{
    public static IServiceCollection AddApiKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.Add<ApiKeyOptions, ApiKeyOptionsValidator>(configuration, ApiKeyOptions.Section);
        services.AddSingleton<ApiKeys>();
        return services;
    }

    /// <summary>Checks keys after routing (the route says whether its key may come in the body), before any handler runs.</summary>
    public static IApplicationBuilder UseApiKeys(this IApplicationBuilder app) => app.UseMiddleware<ApiKeyMiddleware>();
}
