namespace Inference.Api.Hosting;

/// <summary>What one request may carry (configuration section <c>Limits</c>).</summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    public long MaxBodyBytes { get; set; } = 20 * 1024 * 1024;

    public int MaxImagesPerRequest { get; set; } = 16;

    public long MaxPixels { get; set; } = 40_000_000;

    public int MaxSide { get; set; } = 16_384;

    /// <summary>The deadline for one request, queueing included; beyond it the answer is 503.</summary>
    public int RequestTimeoutMs { get; set; } = 30_000;

    public IEnumerable<string> Validate()
    {
        if (MaxBodyBytes is < 1024 or > 1L << 30)
        {
            yield return $"Limits:MaxBodyBytes must be between 1 KiB and 1 GiB (got {MaxBodyBytes}).";
        }

        if (MaxImagesPerRequest is < 1 or > 256)
        {
            yield return $"Limits:MaxImagesPerRequest must be between 1 and 256 (got {MaxImagesPerRequest}).";
        }

        if (MaxPixels < 1)
        {
            yield return $"Limits:MaxPixels must be positive (got {MaxPixels}).";
        }

        if (MaxSide < 1)
        {
            yield return $"Limits:MaxSide must be positive (got {MaxSide}).";
        }

        if (RequestTimeoutMs < 1)
        {
            yield return $"Limits:RequestTimeoutMs must be positive (got {RequestTimeoutMs}).";
        }
    }
}

/// <summary>Graceful shutdown (configuration section <c>Shutdown</c>): ECS sends SIGTERM, then SIGKILL after stopTimeout.</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>How long the service keeps serving after SIGTERM while the load balancer takes it out of rotation.</summary>
    public int DrainDelaySeconds { get; set; } = 5;

    /// <summary>The whole shutdown, drain included, must finish within this bound.</summary>
    public int TimeoutSeconds { get; set; } = 25;

    public IEnumerable<string> Validate()
    {
        if (DrainDelaySeconds < 0)
        {
            yield return $"Shutdown:DrainDelaySeconds must not be negative (got {DrainDelaySeconds}).";
        }

        if (TimeoutSeconds <= DrainDelaySeconds)
        {
            yield return $"Shutdown:TimeoutSeconds ({TimeoutSeconds}) must exceed Shutdown:DrainDelaySeconds ({DrainDelaySeconds}) to leave time for in-flight batches.";
        }
    }
}
