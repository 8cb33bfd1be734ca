using Inference.Core.Backends;
using Inference.Core.Imaging;
using Inference.Core.Rendering;
using Inference.Core.Inputs;
using Inference.Core.Repository;
using Inference.Core.Scheduling;
using Inference.Core.Serving;
using Inference.Core.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Inference.Core.Hosting;

/// <summary>
/// The serving stack, built the same way in every host: the decoder with its limits, the decode gate, the one
/// detection service, the annotation renderer, the one URL fetcher, the one loader and the model repository over
/// them. A host adds its observers (metrics) by registering <see cref="IModelObserver"/> and <see cref="IDetectionObserver"/>.
/// </summary>
public static class ServingRegistration
{
    public static IServiceCollection AddInferenceServing(this IServiceCollection services, string contentRoot)
    {
        // Process-wide and before any model loads: large native buffers go back to the system when freed.
        NativeHeap.MapLargeAllocations();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new ImageDecoder(sp.GetRequiredService<IOptions<ImageLimits>>().Value));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<LimitsOptions>>().Value.CreateDecodeGate());
        services.AddSingleton(sp => new DetectionService(
            sp.GetRequiredService<ImageDecoder>(),
            sp.GetRequiredService<MemoryGate>(),
            sp.GetService<IDetectionObserver>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AnnotationRenderer(sp.GetRequiredService<ImageDecoder>(), sp.GetRequiredService<MemoryGate>()));
        services.AddSingleton(sp => new ImageUrlFetcher(sp.GetRequiredService<IOptions<InputsOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ModelLoader(
            sp.GetRequiredService<IOptions<BackendOptions>>().Value,
            sp.GetRequiredService<IOptions<BatchingOptions>>().Value,
            sp.GetRequiredService<IOptions<S3Options>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ModelRepository(
            sp.GetRequiredService<IOptions<ModelRepositoryOptions>>().Value,
            sp.GetRequiredService<ModelLoader>(),
            sp.GetRequiredService<DetectionService>(),
            contentRoot,
            sp.GetRequiredService<ILogger<ModelRepository>>(),
            sp.GetService<IModelObserver>()));
        return services;
    }
}
