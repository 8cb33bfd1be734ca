using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.Runtime;
using Inference.Core.Sources;
using Inference.Testing;
using Xunit.Abstractions;

namespace Inference.Core.Tests.Sources;

/// <summary>Pinned downloads against the real S3 server (radosgw) that scripts/test.sh starts.</summary>
public sealed class S3ObjectFetcherTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _cacheDirectory = Directory.CreateTempSubdirectory("model-cache-").FullName;

    private ModelCache Cache => new(_cacheDirectory);

    public void Dispose() => Directory.Delete(_cacheDirectory, recursive: true);

    private static (byte[] Bytes, string Sha256) Content(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private static S3ObjectFetcher Fetcher(S3Options? options = null) =>
        new((options ?? S3TestServer.Options()).CreateClient(sdkRetries: false), options ?? S3TestServer.Options());

    [SkippableFact]
    public async Task A_pinned_version_is_fetched_verified_and_then_served_from_the_cache()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var (v1, sha1) = Content(300_000, 1);
        var (v2, _) = Content(300_000, 2);
        var first = await S3TestServer.PutAsync(bucket, "models/m/model.onnx", v1);
        await S3TestServer.PutAsync(bucket, "models/m/model.onnx", v2);

        var fetched = await Fetcher().FetchAsync(first, sha1, Cache);
        var again = await Fetcher().FetchAsync(first, sha1, Cache);

        Assert.False(fetched.FromCache);
        Assert.Equal(v1, await File.ReadAllBytesAsync(fetched.Path));
        Assert.Equal(Path.Combine(_cacheDirectory, sha1, "model.onnx"), fetched.Path);
        Assert.True(again.FromCache);
        Assert.Equal(fetched.Path, again.Path);
        Assert.Empty(Directory.GetFiles(Path.Combine(_cacheDirectory, sha1), ".download-*"));
    }

    [SkippableFact]
    public async Task A_tampered_cached_file_is_downloaded_again()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var (bytes, sha) = Content(100_000, 3);
        var pinned = await S3TestServer.PutAsync(bucket, "weights.onnx", bytes);
        var path = (await Fetcher().FetchAsync(pinned, sha, Cache)).Path;
        await File.WriteAllTextAsync(path, "tampered");

        var refetched = await Fetcher().FetchAsync(pinned, sha, Cache);

        Assert.False(refetched.FromCache);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(refetched.Path));
    }

    [SkippableFact]
    public async Task A_wrong_checksum_is_fatal_and_leaves_nothing_in_the_cache()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var (bytes, _) = Content(50_000, 4);
        var pinned = await S3TestServer.PutAsync(bucket, "weights.onnx", bytes);
        var wrong = new string('a', 64);

        var failure = await Assert.ThrowsAsync<ModelSourceException>(() => Fetcher().FetchAsync(pinned, wrong, Cache));

        Assert.Equal(ModelSourceFailure.ChecksumMismatch, failure.Failure);
        Assert.Contains("mismatch", failure.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Cache.PathFor(wrong, "weights.onnx")));
        Assert.Empty(Directory.GetFiles(_cacheDirectory, "*", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public async Task A_large_object_downloads_as_parallel_ranges_and_verifies()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var (bytes, sha) = Content(52 << 20, 5);
        S3ObjectRef pinned;
        using (var s3 = S3TestServer.Client())
        using (var transfer = new Amazon.S3.Transfer.TransferUtility(s3))
        {
            using var stream = new MemoryStream(bytes);
            var response = await transfer.UploadWithResponseAsync(new Amazon.S3.Transfer.TransferUtilityUploadRequest { BucketName = bucket, Key = "big.onnx", InputStream = stream });
            pinned = new S3ObjectRef(bucket, "big.onnx", response.VersionId);
        }

        var options = S3TestServer.Options() with { PartSizeBytes = 8 << 20, ParallelThresholdBytes = 16 << 20, ParallelDownloads = 4 };
        var reports = new List<DownloadProgress>();
        var clock = Stopwatch.StartNew();
        var fetched = await Fetcher(options).FetchAsync(pinned, sha, Cache, new InlineProgress(reports.Add));
        var seconds = clock.Elapsed.TotalSeconds;

        Assert.Equal(bytes.Length, fetched.Bytes);
        Assert.Equal(sha, ModelCache.HashFile(fetched.Path));
        Assert.True(reports.Count >= 2, $"{reports.Count} progress reports.");
        Assert.Equal(bytes.Length, reports[^1].BytesDone);
        output.WriteLine($"Downloaded {bytes.Length / 1048576.0:0} MiB in {seconds:0.00} s: {bytes.Length / 1048576.0 / seconds:0} MiB/s in 8 MiB ranges, 4 at a time.");
    }

    [SkippableFact]
    public async Task A_missing_key_and_a_bogus_version_are_not_found_naming_the_object()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var (bytes, sha) = Content(1000, 6);
        var real = await S3TestServer.PutAsync(bucket, "weights.onnx", bytes);

        var missing = await Assert.ThrowsAsync<ModelSourceException>(() => Fetcher().FetchAsync(new S3ObjectRef(bucket, "nothing/here.onnx"), sha, Cache));
        var bogus = await Assert.ThrowsAsync<ModelSourceException>(() => Fetcher().FetchAsync(real with { VersionId = "bogus-version-id" }, sha, Cache));

        Assert.Equal(ModelSourceFailure.NotFound, missing.Failure);
        Assert.Contains($"s3://{bucket}/nothing/here.onnx", missing.Message, StringComparison.Ordinal);
        Assert.Equal(ModelSourceFailure.NotFound, bogus.Failure);
        Assert.Contains("bogus-version-id", bogus.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_wrong_secret_is_access_denied_at_once_without_retries()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var (bytes, sha) = Content(1000, 7);
        var pinned = await S3TestServer.PutAsync(bucket, "weights.onnx", bytes);
        var options = S3TestServer.Options(maxAttempts: 10);
        var wrongSecret = options.CreateClient(sdkRetries: false, new BasicAWSCredentials(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"), "not-the-secret"));
        var clock = Stopwatch.StartNew();

        var failure = await Assert.ThrowsAsync<ModelSourceException>(() => new S3ObjectFetcher(wrongSecret, options).FetchAsync(pinned, sha, Cache));

        Assert.Equal(ModelSourceFailure.AccessDenied, failure.Failure);
        Assert.Contains("Access denied", failure.Message, StringComparison.Ordinal);

        // Ten attempts with backoff would take seconds; one refusal takes milliseconds.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Access denied took {clock.Elapsed}: retried?");
    }

    [Fact]
    public async Task An_unreachable_server_is_retried_with_backoff_then_reported_unavailable()
    {
        // Nothing listens on this loopback port: every attempt is refused, which is transient.
        var options = new S3Options { ServiceUrl = $"http://127.0.0.1:{LoopbackPorts.Free()}", MaxAttempts = 3 };
        var clock = Stopwatch.StartNew();
        var client = options.CreateClient(sdkRetries: false, new BasicAWSCredentials("unused", "unused"));

        var failure = await Assert.ThrowsAsync<ModelSourceException>(() =>
            new S3ObjectFetcher(client, options).FetchAsync(new S3ObjectRef("bucket", "model.onnx", "v1"), new string('b', 64), Cache));

        Assert.Equal(ModelSourceFailure.Unavailable, failure.Failure);
        Assert.Contains("after 3 attempts", failure.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed > TimeSpan.FromMilliseconds(150), "No backoff between attempts.");
    }

    [Theory]
    [InlineData("s3://bucket/models/a/model.onnx", null, "bucket", "models/a/model.onnx", null)]
    [InlineData("s3://bucket/model.onnx?versionId=abc%2B1", null, "bucket", "model.onnx", "abc+1")]
    [InlineData("s3://bucket/model.onnx", "v9", "bucket", "model.onnx", "v9")]
    public void S3_uris_parse_with_their_versions(string uri, string? versionId, string bucket, string key, string? expectedVersion)
    {
        Assert.True(S3ObjectRef.TryParse(uri, versionId, out var parsed));
        Assert.Equal(new S3ObjectRef(bucket, key, expectedVersion), parsed);
        Assert.True(S3ObjectRef.TryParse(parsed.ToPinnedUri(), null, out var again));
        Assert.Equal(parsed, again);
    }

    [Theory]
    [InlineData("https://bucket/key")]
    [InlineData("s3://bucket")]
    [InlineData("s3://bucket/")]
    [InlineData("s3:///key")]
    public void Malformed_s3_uris_are_refused(string uri) => Assert.False(S3ObjectRef.TryParse(uri, null, out _));

    private sealed class InlineProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
