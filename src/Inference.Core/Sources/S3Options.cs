using System.ComponentModel.DataAnnotations;
using Inference.Core.Hosting;
using Amazon.Runtime;
using Amazon.S3;

namespace Inference.Core.Sources;

/// <summary>S3 access (configuration section <c>S3</c>). Credentials always come from the SDK's default chain.</summary>
public sealed record S3Options : IValidatableObject
{
    public const string Section = "S3";

    /// <summary>Endpoint override for a local S3 server in tests; real AWS needs none.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>Attempts per request (the first one included) for transient faults.</summary>
    [SettingRange("S3:MaxAttempts", 1, 20)]
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Objects at least this large download as parallel byte ranges.</summary>
    public long ParallelThresholdBytes { get; init; } = 16L << 20;

    public long PartSizeBytes { get; init; } = 8L << 20;

    [SettingRange("S3:ParallelDownloads", 1, 64)]
    public int ParallelDownloads { get; init; } = 4;

    /// <summary>Timeout of one HTTP request to S3.</summary>
    [SettingRange("S3:RequestTimeoutSeconds", 1, 3600)]
    public int RequestTimeoutSeconds { get; init; } = 60;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ServiceUrl is { Length: > 0 } url && !System.Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"S3:ServiceUrl must be an absolute URL (got '{url}').");
        }

        if (PartSizeBytes < 1 << 20 || ParallelThresholdBytes < PartSizeBytes)
        {
            yield return new ValidationResult("S3:PartSizeBytes must be at least 1 MiB and S3:ParallelThresholdBytes at least one part.");
        }
    }

    /// <summary>
    /// A client on the default credentials chain (the ECS task role in production). Against a local endpoint it uses
    /// path-style addressing, a fixed signing region and checksums only when required, which S3-compatible servers need.
    /// </summary>
    /// <param name="credentials">Explicit credentials for tests; production passes none and uses the chain.</param>
    public IAmazonS3 CreateClient(bool sdkRetries, AWSCredentials? credentials = null)
    {
        var config = new AmazonS3Config
        {
            Timeout = TimeSpan.FromSeconds(RequestTimeoutSeconds),

            // The fetcher retries with its own policy (logged, bounded, jittered); the CLI leaves it to the SDK.
            MaxErrorRetry = sdkRetries ? 4 : 0,
        };
        if (!string.IsNullOrWhiteSpace(ServiceUrl))
        {
            config.ServiceURL = ServiceUrl;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = "us-east-1";
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }
}
