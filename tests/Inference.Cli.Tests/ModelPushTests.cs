using System.Text.Json;
using Amazon.S3.Model;
using Inference.Core.Model;
using Inference.Core.Sources;
using Inference.Testing;

namespace Inference.Cli.Tests;

/// <summary><c>inference model push</c> against the real S3 server (radosgw).</summary>
public sealed class ModelPushTests
{
    private static readonly ModelManifest Demo = ModelManifest.Load(RepositoryPaths.DemoManifest);

    private static string[] Push(string bucket, params string[] extra) =>
    [
        "model", "push",
        "--weights", Demo.ResolvePath(Demo.Weights!),
        "--manifest", RepositoryPaths.DemoManifest,
        "--bucket", bucket,
        "--endpoint", S3TestServer.ServiceUrl!,
        .. extra,
    ];

    [SkippableFact]
    public async Task Push_uploads_everything_by_version_and_prints_the_pin_as_json()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await CliRun.RunAsync(Push(bucket, "--json"));

        Assert.True(run.ExitCode == 0, run.Error);
        var pin = JsonDocument.Parse(run.Output).RootElement;
        var weights = pin.GetProperty("weights");
        Assert.Equal($"s3://{bucket}/models/shapes-demo/model.onnx", weights.GetProperty("uri").GetString());
        Assert.Equal(Demo.Sha256, weights.GetProperty("sha256").GetString());
        Assert.Equal(new FileInfo(Demo.ResolvePath(Demo.Weights!)).Length, weights.GetProperty("size").GetInt64());
        var versionId = weights.GetProperty("version_id").GetString()!;
        Assert.False(string.IsNullOrEmpty(versionId));
        var environment = pin.GetProperty("environment");
        Assert.Equal(versionId, environment.GetProperty("Model__VersionId").GetString());
        Assert.Equal(Demo.Sha256, environment.GetProperty("Model__Sha256").GetString());
        Assert.Equal($"s3://{bucket}/models/shapes-demo/manifest.json", environment.GetProperty("Model__Manifest").GetString());

        using var s3 = S3TestServer.Client();
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "models/shapes-demo/model.onnx", VersionId = versionId });
        Assert.Equal(Demo.Sha256, head.Metadata["sha256"]);
        using var manifestObject = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "models/shapes-demo/manifest.json", VersionId = environment.GetProperty("Model__ManifestVersionId").GetString() });
        var uploaded = ModelManifest.Parse(await new StreamReader(manifestObject.ResponseStream).ReadToEndAsync());
        Assert.Equal(Demo.Sha256, uploaded.Sha256);
        Assert.True(S3ObjectRef.TryParse(uploaded.Golden[0].Image, null, out var golden));
        Assert.NotNull(golden.VersionId);
    }

    [SkippableFact]
    public async Task Pushing_twice_makes_two_versions_of_the_same_key()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var first = JsonDocument.Parse((await CliRun.RunAsync(Push(bucket, "--json"))).Output).RootElement.GetProperty("weights");
        var second = JsonDocument.Parse((await CliRun.RunAsync(Push(bucket, "--json"))).Output).RootElement.GetProperty("weights");

        Assert.Equal(first.GetProperty("uri").GetString(), second.GetProperty("uri").GetString());
        Assert.NotEqual(first.GetProperty("version_id").GetString(), second.GetProperty("version_id").GetString());
    }

    [SkippableFact]
    public async Task The_text_output_ends_with_the_environment_lines_a_task_definition_needs()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await CliRun.RunAsync(Push(bucket, "--prefix", "team/detector"));

        Assert.Equal(0, run.ExitCode);
        var lines = run.Output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains($"Model__Uri=s3://{bucket}/team/detector/model.onnx", lines);
        Assert.Contains($"Model__Sha256={Demo.Sha256}", lines);
        Assert.Contains(lines, l => l.StartsWith("Model__VersionId=", StringComparison.Ordinal) && l.Length > "Model__VersionId=".Length);
        Assert.Contains(lines, l => l.StartsWith("Model__ManifestVersionId=", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Large_weights_go_up_as_a_multipart_upload_with_their_hash()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var weights = Path.Combine(Path.GetTempPath(), $"big-{Guid.NewGuid():N}.onnx");
        var bytes = new byte[20 << 20];
        new Random(3).NextBytes(bytes);
        await File.WriteAllBytesAsync(weights, bytes);
        try
        {
            var run = await CliRun.RunAsync("model", "push", "--weights", weights, "--manifest", RepositoryPaths.DemoManifest, "--bucket", bucket, "--endpoint", S3TestServer.ServiceUrl!, "--json");

            Assert.True(run.ExitCode == 0, run.Error);
            var pinned = JsonDocument.Parse(run.Output).RootElement.GetProperty("weights");
            using var s3 = S3TestServer.Client();
            var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = $"models/shapes-demo/{Path.GetFileName(weights)}", VersionId = pinned.GetProperty("version_id").GetString() });
            Assert.Matches("-[0-9]+\"?$", head.ETag);
            Assert.Equal(bytes.Length, head.ContentLength);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), head.Metadata["sha256"]);
        }
        finally
        {
            File.Delete(weights);
        }
    }

    [SkippableFact]
    public async Task A_bucket_without_versioning_is_refused()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync(versioned: false);

        var run = await CliRun.RunAsync(Push(bucket));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"Bucket '{bucket}' does not have versioning enabled", run.Error, StringComparison.Ordinal);
        Assert.Contains("put-bucket-versioning", run.Error, StringComparison.Ordinal);
        using var s3 = S3TestServer.Client();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.True(listing.S3Objects is null || listing.S3Objects.Count == 0, "Something was uploaded to the unversioned bucket.");
    }

    [Fact]
    public async Task Missing_weights_fail_with_a_message_and_a_non_zero_exit()
    {
        var run = await CliRun.RunAsync("model", "push", "--weights", "/nonexistent.onnx", "--manifest", RepositoryPaths.DemoManifest, "--bucket", "b", "--endpoint", "http://127.0.0.1:9");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("error:", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_required_option_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("model", "push", "--weights", "x.onnx");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--bucket", run.Error, StringComparison.Ordinal);
    }
}
