using System.ComponentModel.DataAnnotations;
using Inference.Core.Hosting;
using Microsoft.Extensions.Options;

namespace Inference.Api.Hosting;

/// <summary>Graceful shutdown (configuration section <c>Shutdown</c>): ECS sends SIGTERM, then SIGKILL after stopTimeout.</summary>
public sealed class ShutdownOptions : IValidatableObject
{
    public const string Section = "Shutdown";

    /// <summary>How long the service keeps serving after SIGTERM while the load balancer takes it out of rotation.</summary>
    [SettingRange("Shutdown:DrainDelaySeconds", 0, 600)]
    public int DrainDelaySeconds { get; set; } = 5;

    /// <summary>The whole shutdown, drain included, must finish within this bound.</summary>
    [SettingRange("Shutdown:TimeoutSeconds", 1, 3600)]
    public int TimeoutSeconds { get; set; } = 25;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TimeoutSeconds <= DrainDelaySeconds)
        {
            yield return new ValidationResult($"Shutdown:TimeoutSeconds ({TimeoutSeconds}) must exceed Shutdown:DrainDelaySeconds ({DrainDelaySeconds}) to leave time for in-flight batches.");
        }
    }
}

[OptionsValidator]
public sealed partial class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>;
