using Inference.Core.Hosting;
using Inference.Core.Inputs;
using Inference.Core.Repository;
using Inference.Core.Serving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Inference.Lambda.Detection;

/// <summary>
/// The serving stack of the detect function, built during the init phase exactly as the service builds it (the same
/// options, validators, loader, repository and detection service), with the defaults a Lambda needs: CPU, one
/// instance, batches of one (a function serves one invocation at a time). Anything set in the environment wins.
/// </summary>
public sealed partial class LambdaServing : IAsyncDisposable
{
    /// <summary>Lambda has no GPU, and one invocation at a time never forms a batch.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["Inference:ExecutionProvider"] = "cpu",
        ["Inference:Instances"] = "1",
        ["Batching:MaxBatchSize"] = "1",
    };

    private readonly ServiceProvider _services;

    private LambdaServing(ServiceProvider services)
    {
        _services = services;
        Models = services.GetRequiredService<ModelRepository>();
        Detection = services.GetRequiredService<DetectionService>();
        Limits = services.GetRequiredService<IOptions<LimitsOptions>>().Value;
        Fetcher = services.GetRequiredService<ImageUrlFetcher>();
    }

    public ModelRepository Models { get; }

    public DetectionService Detection { get; }

    public LimitsOptions Limits { get; }

    /// <summary>Images by URL, under the same <c>Inputs</c> rules as the service.</summary>
    public ImageUrlFetcher Fetcher { get; }

    /// <exception cref="OptionsValidationException">A setting is invalid; the message names its key.</exception>
    /// <exception cref="InvalidOperationException">A model did not load; the message says why.</exception>
    public static async Task<LambdaServing> StartAsync(IConfiguration environment, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var services = BuildServices(environment, loggers);
        var serving = new LambdaServing(services);
        try
        {
            await serving.Models.LoadAllAsync(cancellationToken).ConfigureAwait(false);
            if (serving.Models.Models.FirstOrDefault(m => !m.IsReady) is { } failed)
            {
                throw new InvalidOperationException($"Model '{failed.Id}' did not load: {failed.Status.Reason}");
            }

            return serving;
        }
        catch
        {
            await serving.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    /// <summary>
    /// The options and serving registrations of every handler (the decoder, its limits, the detection service, the
    /// loader, the repository), with the Lambda defaults under the environment, validated as the service validates
    /// them at start-up: a bad setting fails init with a sentence naming its key. Nothing is loaded yet.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is invalid.</exception>
    public static ServiceProvider BuildServices(IConfiguration environment, ILoggerFactory loggers, Action<IServiceCollection, IConfiguration>? more = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger<LambdaServing>();
        foreach (var (key, value) in Defaults)
        {
            if (environment[key] is null)
            {
                LogDefaulted(logger, key, value);
            }
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Defaults).AddConfiguration(environment).Build();
        var collection = new ServiceCollection()
            .AddSingleton(loggers)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddInferenceOptions(configuration)
            .AddInferenceServing(AppContext.BaseDirectory);
        more?.Invoke(collection, configuration);
        var services = collection.BuildServiceProvider();
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
            return services;
        }
        catch
        {
            services.Dispose();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Key} is not set; the Lambda default {Value} applies")]
    private static partial void LogDefaulted(ILogger logger, string key, string? value);
}
