using System.Globalization;
using Microsoft.Extensions.Options;

namespace Inference.Api.Compat.SageMaker;

/// <summary>
/// SageMaker's container contract: it starts the image as <c>docker run image serve</c>, expects the server on port
/// 8080 (or <c>SAGEMAKER_BIND_TO_PORT</c>), and unpacks the model artefact (<c>model.tar.gz</c>) into
/// <c>/opt/ml/model</c>. With the <c>serve</c> argument the service binds that port on every interface and, when the
/// model directory holds a <c>manifest.json</c>, serves that manifest (and the weights it names) as its default model.
/// </summary>
public static partial class SageMakerServe
{
    public const string Argument = "serve";
    public const string PortVariable = "SAGEMAKER_BIND_TO_PORT";
    public const int DefaultPort = 8080;

    /// <summary>Where the artefact is unpacked (<c>SageMaker:ModelDirectory</c>; tests point it at a temporary folder).</summary>
    public const string ModelDirectoryKey = "SageMaker:ModelDirectory";

    /// <summary>The interface to bind (<c>SageMaker:Host</c>): every one in a container, 127.0.0.1 in tests.</summary>
    public const string HostKey = "SageMaker:Host";

    public const string DefaultModelDirectory = "/opt/ml/model";

    public static bool Requested(string[] args) => args is [Argument, ..];

    /// <summary>The arguments the host sees: <c>serve</c> is this contract's, not a configuration key.</summary>
    public static string[] HostArguments(string[] args) => Requested(args) ? args[1..] : args;

    /// <exception cref="OptionsValidationException"><c>SAGEMAKER_BIND_TO_PORT</c> is not a port.</exception>
    public static WebApplicationBuilder AddSageMakerServe(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var port = Port(configuration[PortVariable]);
        var host = configuration[HostKey] is { Length: > 0 } configured ? configured : "*";
        builder.WebHost.UseUrls($"http://{host}:{port.ToString(CultureInfo.InvariantCulture)}");

        var directory = configuration[ModelDirectoryKey] is { Length: > 0 } dir ? dir : DefaultModelDirectory;
        var manifest = Path.Combine(directory, "manifest.json");
        var found = File.Exists(manifest);
        if (found)
        {
            configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Model:Manifest"] = manifest });
        }

        builder.Services.AddSingleton(new SageMakerMode(port, directory, found ? manifest : null));
        builder.Services.AddHostedService<SageMakerModeLog>();
        return builder;
    }

    private static int Port(string? value)
    {
        if (value is null)
        {
            return DefaultPort;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            ? port
            : throw new OptionsValidationException(PortVariable, typeof(SageMakerMode), [$"{PortVariable} must be a port from 1 to 65535 (got '{value}')."]);
    }

    /// <summary>Says once at start where the model came from, since the model directory decides it silently otherwise.</summary>
    private sealed partial class SageMakerModeLog(SageMakerMode mode, ILogger<SageMakerMode> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (mode.Manifest is { } manifest)
            {
                LogManifest(logger, mode.Port, manifest);
            }
            else
            {
                LogNoManifest(logger, mode.Port, mode.ModelDirectory);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "SageMaker serve mode on port {Port}: serving the manifest {Manifest} from the model directory")]
        private static partial void LogManifest(ILogger logger, int port, string manifest);

        [LoggerMessage(Level = LogLevel.Information, Message = "SageMaker serve mode on port {Port}: {Directory} holds no manifest.json, so the configured Model settings apply")]
        private static partial void LogNoManifest(ILogger logger, int port, string directory);
    }
}

/// <summary>How the service was started for SageMaker: the port, the model directory and the manifest found there.</summary>
public sealed record SageMakerMode(int Port, string ModelDirectory, string? Manifest);
