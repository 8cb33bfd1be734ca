using Amazon.S3;
using Inference.Core.Hosting;
using Inference.Core.Imaging;
using Inference.Core.Serving;
using Inference.Core.Sources;
using Inference.Lambda.Detection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Inference.Lambda.Preprocessing;

/// <summary>
/// The preprocess function's parts, built during init from the same registrations as the service (so the decoder is
/// the service's, with its <c>Limits</c>), plus its own <c>Preprocess</c> settings and an S3 client. No model is loaded:
/// the ECS service detects.
/// </summary>
public sealed class PreprocessServing : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IAmazonS3 _s3;

    private PreprocessServing(ServiceProvider services, HttpClient http)
    {
        _services = services;
        Options = services.GetRequiredService<IOptions<PreprocessOptions>>().Value;
        _s3 = services.GetRequiredService<IOptions<S3Options>>().Value.CreateClient(sdkRetries: true);
        Handler = new PreprocessHandler(
            _s3,
            services.GetRequiredService<ImageDecoder>(),
            new DetectionForwarder(http, Options),
            Options,
            services.GetRequiredService<IOptions<LimitsOptions>>().Value,
            services.GetRequiredService<ILogger<PreprocessHandler>>());
    }

    public PreprocessOptions Options { get; }

    public PreprocessHandler Handler { get; }

    /// <exception cref="OptionsValidationException">A setting is invalid; the message names its key.</exception>
    public static PreprocessServing Create(IConfiguration environment, ILoggerFactory loggers, HttpClient http) =>
        new(LambdaServing.BuildServices(environment, loggers, (services, configuration) =>
            services.Add<PreprocessOptions, PreprocessOptionsValidator>(configuration, PreprocessOptions.Section)), http);

    public async ValueTask DisposeAsync()
    {
        _s3.Dispose();
        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
