using Inference.Api.Compat.OpenInference;
using Inference.Api.Compat.Roboflow;
using Inference.Api.Compat.SageMaker;
using Inference.Core.Hosting;

namespace Inference.Api.Compat;

/// <summary>The front ends other ecosystems' clients call, each a thin router over the detection flow and the model repository.</summary>
public static class CompatSetup
{
    public static IServiceCollection AddCompatibleFrontEnds(this IServiceCollection services, IConfiguration configuration)
    {
        services.Add<CompatOptions, CompatOptionsValidator>(configuration, CompatOptions.Section);
        services.AddSingleton<CompatModels>();
        return services;
    }

    /// <summary>Roboflow (hosted API and inference server), SageMaker's container contract, and the Open Inference Protocol v2.</summary>
    public static IEndpointRouteBuilder MapCompatibleFrontEnds(this IEndpointRouteBuilder app)
    {
        app.MapOpenInference();
        app.MapSageMaker();
        app.MapRoboflow();
        return app;
    }
}
