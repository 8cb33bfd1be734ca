using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Inference.Core.Hosting;
using Inference.Core.Repository;
using Microsoft.Extensions.Options;

namespace Inference.Api.Observability;

/// <summary>
/// CloudWatch embedded metric format (configuration section <c>Emf</c>): the queue depth the ECS service scales on.
/// Off by default; the task definition turns it on and names the service per environment.
/// </summary>
public sealed record EmfOptions : IValidatableObject
{
    public const string Section = "Emf";

    /// <summary>The metric the scaling policy tracks (deploy/infrastructure.yaml, QueueDepthPerTask).</summary>
    public const string QueuedImagesMetric = "QueuedImages";

    /// <summary>The one dimension: which service (environment) the task belongs to.</summary>
    public const string ServiceDimension = "Service";

    public bool Enabled { get; init; }

    public string Namespace { get; init; } = "Detector";

    /// <summary>The dimension's value, <c>detector-ENV</c>: one metric per environment, averaged over its tasks.</summary>
    public string? Service { get; init; }

    /// <summary>Seconds between two documents; CloudWatch averages them per minute for target tracking.</summary>
    [SettingRange("Emf:IntervalSeconds", 1, 60)]
    public int IntervalSeconds { get; init; } = 10;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && string.IsNullOrWhiteSpace(Service))
        {
            yield return new ValidationResult("Emf:Service must name the service (the dimension the scaling policy reads) when Emf:Enabled is true.");
        }

        if (Enabled && string.IsNullOrWhiteSpace(Namespace))
        {
            yield return new ValidationResult("Emf:Namespace must not be empty when Emf:Enabled is true.");
        }
    }
}

[OptionsValidator]
public sealed partial class EmfOptionsValidator : IValidateOptions<EmfOptions>;

/// <summary>
/// Writes one EMF document per interval to standard output, where the awslogs driver sends it to CloudWatch Logs and
/// CloudWatch extracts the metric: the images admitted and not yet run, over every model of this task. A queue that
/// grows means the GPU is the bottleneck, whatever the request count says, so the service scales out on it and in
/// when it stays empty (deploy/infrastructure.yaml).
/// </summary>
public sealed class EmfPublisher(IOptions<EmfOptions> options, Func<int> queuedImages, TimeProvider time, TextWriter output) : BackgroundService
{
    public EmfPublisher(IOptions<EmfOptions> options, ModelRepository models, TimeProvider time)
        : this(options, () => Queued(models), time, Console.Out)
    {
    }

    /// <summary>One EMF document (a single line), as CloudWatch's specification lays it out.</summary>
    public static string Document(EmfOptions options, DateTimeOffset at, int queued)
    {
        ArgumentNullException.ThrowIfNull(options);
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["_aws"] = new Dictionary<string, object>
            {
                ["Timestamp"] = at.ToUnixTimeMilliseconds(),
                ["CloudWatchMetrics"] = new[]
                {
                    new Dictionary<string, object>
                    {
                        ["Namespace"] = options.Namespace,
                        ["Dimensions"] = new[] { new[] { EmfOptions.ServiceDimension } },
                        ["Metrics"] = new[] { new Dictionary<string, object> { ["Name"] = EmfOptions.QueuedImagesMetric, ["Unit"] = "Count" } },
                    },
                },
            },
            [EmfOptions.ServiceDimension] = options.Service!,
            [EmfOptions.QueuedImagesMetric] = queued,
        });
    }

    private PeriodicTimer? _timer;

    // The timer starts with the host, not when ExecuteAsync's task gets a thread: the first interval is the host's.
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Enabled)
        {
            _timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.IntervalSeconds), time);
        }

        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_timer is not { } timer)
        {
            return;
        }

        var settings = options.Value;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                // One write of one line: the console logger's lines never split it.
                await output.WriteLineAsync(Document(settings, time.GetUtcNow(), queuedImages()).AsMemory(), stoppingToken).ConfigureAwait(false);
                await output.FlushAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static int Queued(ModelRepository models)
    {
        var queued = 0;
        foreach (var entry in models.Models)
        {
            queued += entry.Model?.Scheduler.QueuedImages ?? 0;
        }

        return queued;
    }
}
