using Inference.Api.Hosting;
using Inference.Core.Repository;
using Microsoft.Extensions.Options;

namespace Inference.Api.Health;

/// <summary>
/// On SIGTERM: readiness turns 503 at once, the server keeps answering for the drain delay (the load balancer needs
/// a few health checks to take the task out of rotation), then Kestrel stops and waits for in-flight requests, and
/// each model's scheduler serves what it admitted, all within <see cref="ShutdownOptions.TimeoutSeconds"/>.
/// </summary>
internal sealed partial class GracefulShutdown(ModelRepository models, IOptions<ShutdownOptions> options, ILogger<GracefulShutdown> logger) : IHostedLifecycleService
{
    // Runs before any hosted service (the web server included) is asked to stop.
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        models.MarkStopping();
        var drain = TimeSpan.FromSeconds(options.Value.DrainDelaySeconds);
        LogDraining(logger, drain.TotalSeconds);
        try
        {
            await Task.Delay(drain, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out first; stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutdown began: not ready, draining for {Seconds} s before the server stops")]
    private static partial void LogDraining(ILogger logger, double seconds);
}
