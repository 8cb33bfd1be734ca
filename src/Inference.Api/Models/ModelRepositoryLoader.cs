using Inference.Core.Repository;

namespace Inference.Api.Models;

/// <summary>
/// Loads the repository in the background once the server listens, so liveness answers at once while readiness
/// reports each model's step: downloading (with progress), verifying, loading, warming up. A model that fails leaves
/// the service live but never ready, with the reason.
/// </summary>
internal sealed class ModelRepositoryLoader(ModelRepository models, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }

        await models.LoadAllAsync(stoppingToken).ConfigureAwait(false);
    }
}
