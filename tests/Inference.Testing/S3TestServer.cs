using Amazon.S3;
using Amazon.S3.Model;
using Inference.Core.Sources;

namespace Inference.Testing;

/// <summary>
/// The radosgw that scripts/s3-server.sh starts on 127.0.0.1 (its endpoint and throwaway credentials arrive as
/// environment variables). Tests skip without it, unless the run requires its servers (scripts/test.sh), where
/// they fail instead.
/// </summary>
public static class S3TestServer
{
    public static string? ServiceUrl => Environment.GetEnvironmentVariable("S3_SERVICE_URL");

    public static bool Available => !string.IsNullOrEmpty(ServiceUrl);

    public static string SkipReason =>
        "No S3 test server: start one with 'eval \"$(scripts/s3-server.sh start)\"' (scripts/test.sh does).";

    /// <summary>Skips the test without a server, or fails it where the run promised one.</summary>
    public static void Require()
    {
        if (!Available && Environment.GetEnvironmentVariable("INFERENCE_REQUIRE_TOOLS") == "1")
        {
            throw new InvalidOperationException("S3_SERVICE_URL is not set, but this run requires the S3 test server.");
        }

        Xunit.Skip.IfNot(Available, SkipReason);
    }

    public static S3Options Options(int maxAttempts = 3) => new() { ServiceUrl = ServiceUrl, MaxAttempts = maxAttempts };

    public static IAmazonS3 Client() => Options().CreateClient(sdkRetries: true);

    /// <summary>A new bucket with a unique name, versioned unless asked otherwise.</summary>
    public static async Task<string> CreateBucketAsync(bool versioned = true)
    {
        var name = $"test-{Guid.NewGuid():N}";
        using var s3 = Client();
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = name });
        if (versioned)
        {
            await s3.PutBucketVersioningAsync(new PutBucketVersioningRequest
            {
                BucketName = name,
                VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
            });
        }

        return name;
    }

    /// <summary>Uploads bytes and returns the new version.</summary>
    public static async Task<S3ObjectRef> PutAsync(string bucket, string key, byte[] content)
    {
        using var s3 = Client();
        using var stream = new MemoryStream(content);
        var response = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = stream });
        return new S3ObjectRef(bucket, key, response.VersionId);
    }
}
