using System.Runtime.InteropServices;
using Inference.Lambda.Aws;
using Inference.Lambda.Detection;
using Inference.Lambda.Preprocessing;
using Inference.Lambda.Runtime;
using Inference.Lambda.Validation;
using Microsoft.Extensions.Configuration;

namespace Inference.Lambda.Hosting;

/// <summary>
/// The process: JSON logs on stdout (one object per line, CloudWatch-ready, with the request id in scopes), the
/// handler named by <c>_HANDLER</c> (<c>detect</c>, <c>preprocess</c> or <c>validate</c>) built during init, then the runtime loop.
/// </summary>
public static partial class LambdaHost
{
    /// <summary>The values <c>_HANDLER</c> (the image command) may take.</summary>
    public static readonly IReadOnlyList<string> Handlers = ["detect", "preprocess", "validate"];

    public static async Task<int> RunAsync()
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        using var loggers = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevelFrom(configuration["AWS_LAMBDA_LOG_LEVEL"]))
            .AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            }));
        var logger = loggers.CreateLogger("Inference.Lambda");
        if (configuration["AWS_LAMBDA_RUNTIME_API"] is not { Length: > 0 } endpoint)
        {
            LogNotInLambda(logger);
            return 2;
        }

        using var stopping = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });
        using var runtimeHttp = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var outbound = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var runtime = new LambdaRuntime(new RuntimeApiClient(runtimeHttp, endpoint), logger);
        return await runtime.RunAsync(token => CreateHandlerAsync(configuration["_HANDLER"], configuration, loggers, outbound, token), stopping.Token).ConfigureAwait(false);
    }

    private static async Task<IInvocationHandler> CreateHandlerAsync(string? name, IConfiguration configuration, ILoggerFactory loggers, HttpClient outbound, CancellationToken cancellationToken)
    {
        switch (name)
        {
            case "detect":
                return new DetectHandler(await LambdaServing.StartAsync(configuration, loggers, cancellationToken).ConfigureAwait(false));
            case "preprocess":
                return PreprocessServing.Create(configuration, loggers, outbound).Handler;
            case "validate":
                var settings = ValidatorSettings.FromEnvironment(key => configuration[key], AppContext.BaseDirectory);
                var codeDeploy = CodeDeployClient.FromEnvironment(outbound, key => configuration[key]);
                var signer = settings.SigningService is { } service ? new SigV4Signer(configuration["AWS_REGION"]!, service, LambdaCredentials.GetAsync) : null;
                return new ValidatorHandler(settings, outbound, codeDeploy, loggers.CreateLogger<ValidatorHandler>(), signer);
            default:
                throw new HandlerNotFoundException($"_HANDLER is '{name}'; this function has the handlers {string.Join(", ", Handlers.Select(h => $"'{h}'"))}.");
        }
    }

    // Lambda's advanced logging controls name levels TRACE, DEBUG, INFO, WARN, ERROR and FATAL.
    private static LogLevel LogLevelFrom(string? level) => level?.ToUpperInvariant() switch
    {
        "TRACE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "WARN" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "FATAL" => LogLevel.Critical,
        _ => LogLevel.Information,
    };

    [LoggerMessage(Level = LogLevel.Critical, Message = "AWS_LAMBDA_RUNTIME_API is not set: this executable runs as a Lambda custom runtime (bootstrap).")]
    private static partial void LogNotInLambda(ILogger logger);
}
