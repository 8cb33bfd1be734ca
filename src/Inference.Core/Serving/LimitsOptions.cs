using System.ComponentModel.DataAnnotations;
using Inference.Core.Hosting;

namespace Inference.Core.Serving;

/// <summary>
/// What one request may carry and cost (configuration section <c>Limits</c>), the same on every front end. The
/// image limits (<c>Limits:MaxPixels</c>, <c>Limits:MaxSide</c>, …) bind from the same section into
/// <see cref="Imaging.ImageLimits"/>.
/// </summary>
public sealed record LimitsOptions : IValidatableObject
{
    public const string Section = "Limits";

    [SettingRange("Limits:MaxBodyBytes", 1024, 1073741824)]
    public long MaxBodyBytes { get; init; } = 20 * 1024 * 1024;

    [SettingRange("Limits:MaxImagesPerRequest", 1, 256)]
    public int MaxImagesPerRequest { get; init; } = 16;

    /// <summary>The deadline for one request, queueing included; beyond it the answer is 503.</summary>
    [SettingRange("Limits:RequestTimeoutMs", 1, 3_600_000)]
    public int RequestTimeoutMs { get; init; } = 30_000;

    /// <summary>Decodes running at once; the machine's cores when absent (decoding is CPU work).</summary>
    [SettingRange("Limits:MaxConcurrentDecodes", 1, 1024)]
    public int? MaxConcurrentDecodes { get; init; }

    /// <summary>Pixel memory the decodes in flight may hold together; a flood of large images waits its turn.</summary>
    [SettingRange("Limits:DecodeMemoryBytes", 1048576, 1099511627776)]
    public long DecodeMemoryBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Request bodies the service holds at once, in bytes: a body that does not fit is refused (429) before it is
    /// read, so a flood of large uploads cannot grow memory past it. A body of unknown length counts as
    /// <see cref="MaxBodyBytes"/>.
    /// </summary>
    [SettingRange("Limits:MaxBufferedBodyBytes", 1048576, 1099511627776)]
    public long MaxBufferedBodyBytes { get; init; } = 256L << 20;

    public int ConcurrentDecodes => MaxConcurrentDecodes ?? Environment.ProcessorCount;

    public MemoryGate CreateDecodeGate() => new(ConcurrentDecodes, DecodeMemoryBytes);

    public MemoryGate CreateBodyGate() => new(int.MaxValue, MaxBufferedBodyBytes);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxBufferedBodyBytes < MaxBodyBytes)
        {
            yield return new ValidationResult($"Limits:MaxBufferedBodyBytes ({MaxBufferedBodyBytes}) must be at least Limits:MaxBodyBytes ({MaxBodyBytes}), or the largest body could never be read.");
        }
    }
}
