using System.Text.Json;
using Amazon.S3.Model;
using Inference.Core.Model;
using Inference.Core.Sources;
using Inference.Testing;

namespace Inference.Cli.Tests;

/// <summary><c>inference model push</c> against the real S3 server (radosgw).</summary>
public sealed class ModelPushTests : IDisposable
{
    private static readonly ModelManifest Demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
    private readonly string _directory = Directory.CreateTempSubdirectory("push-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string[] Push(string bucket, params string[] extra) =>
    [
        "model", "push",
        "--weights", Demo.ResolvePath(Demo.Weights!),
        "--manifest", RepositoryPaths.DemoManifest,
        "--bucket", bucket,
        "--endpoint", S3TestServer.ServiceUrl!,
        .. extra,
    ];

    private static async Task AssertEmptyAsync(string bucket)
    {
        using var s3 = S3TestServer.Client();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.True(listing.S3Objects is null || listing.S3Objects.Count == 0, $"Something was uploaded to {bucket}.");
    }

    private static void AssertNoStackTrace(CliRun run) =>
        Assert.DoesNotMatch(@"\n\s+at [A-Z][\w.]+", run.Output + run.Error);

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
    public async Task Name_and_version_can_be_set_for_the_pushed_manifest_which_the_service_and_registry_then_report()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await CliRun.RunAsync(Push(bucket, "--name", "detector", "--version", "3", "--json"));

        Assert.True(run.ExitCode == 0, run.Error);
        var pin = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal(("detector", "3"), (pin.GetProperty("model").GetProperty("name").GetString(), pin.GetProperty("model").GetProperty("version").GetString()));
        using var s3 = S3TestServer.Client();
        using var manifestObject = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "models/detector/manifest.json", VersionId = pin.GetProperty("manifest").GetProperty("version_id").GetString() });
        var uploaded = ModelManifest.Parse(await new StreamReader(manifestObject.ResponseStream).ReadToEndAsync());
        Assert.Equal(("detector", "3"), (uploaded.Name, uploaded.Version));
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
        var weights = TestModels.Demo(_directory, "big.onnx", TestModels.Padded(20));

        var run = await CliRun.RunAsync("model", "push", "--weights", weights, "--manifest", RepositoryPaths.DemoManifest, "--bucket", bucket, "--endpoint", S3TestServer.ServiceUrl!, "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var pinned = JsonDocument.Parse(run.Output).RootElement.GetProperty("weights");
        using var s3 = S3TestServer.Client();
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "models/shapes-demo/big.onnx", VersionId = pinned.GetProperty("version_id").GetString() });
        Assert.Matches("-[0-9]+\"?$", head.ETag);
        Assert.Equal(new FileInfo(weights).Length, head.ContentLength);
        Assert.Equal(Sha256.OfFile(weights), head.Metadata["sha256"]);
    }

    [SkippableFact]
    public async Task Random_bytes_are_refused_before_anything_is_uploaded()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var weights = Path.Combine(_directory, "random.onnx");
        var bytes = new byte[100_000];
        new Random(3).NextBytes(bytes);
        await File.WriteAllBytesAsync(weights, bytes);

        var run = await CliRun.RunAsync("model", "push", "--weights", weights, "--manifest", RepositoryPaths.DemoManifest, "--bucket", bucket, "--endpoint", S3TestServer.ServiceUrl!);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: '{weights}' with '{RepositoryPaths.DemoManifest}' was not pushed, because the service would refuse it: '{weights}' could not be loaded as an ONNX model", run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
        await AssertEmptyAsync(bucket);
    }

    [SkippableFact]
    public async Task Yolov8_weights_with_a_yolox_manifest_are_refused_before_anything_is_uploaded()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var manifest = Path.Combine(_directory, "yolox.json");
        await File.WriteAllTextAsync(manifest, (Demo with { Format = OutputFormat.Yolox, Weights = Demo.ResolvePath(Demo.Weights!), Golden = [] }).ToJson());

        var run = await CliRun.RunAsync("model", "push", "--weights", Demo.ResolvePath(Demo.Weights!), "--manifest", manifest, "--bucket", bucket, "--endpoint", S3TestServer.ServiceUrl!, "--json");

        Assert.Equal(2, run.ExitCode);
        var error = JsonDocument.Parse(run.Error).RootElement;
        Assert.Equal("model-invalid", error.GetProperty("code").GetString());
        Assert.Equal(2, error.GetProperty("exit_code").GetInt32());
        Assert.Contains("for the yolox format", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Output);
        await AssertEmptyAsync(bucket);
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
        await AssertEmptyAsync(bucket);
    }

    [SkippableFact]
    public async Task A_missing_bucket_is_not_found_in_one_sentence_naming_it_and_the_endpoint()
    {
        S3TestServer.Require();

        var run = await CliRun.RunAsync(Push("no-such-bucket-here", "--json"));

        Assert.Equal(3, run.ExitCode);
        var error = JsonDocument.Parse(run.Error).RootElement;
        Assert.Equal("not-found", error.GetProperty("code").GetString());
        Assert.Equal($"Bucket 'no-such-bucket-here' does not exist at {S3TestServer.ServiceUrl} (NoSuchBucket).", error.GetProperty("message").GetString());
    }

    [SkippableFact]
    public async Task A_wrong_secret_is_one_sentence_with_the_s3_error_code_and_no_stack_trace()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await CliProcess.RunAsync(
            new Dictionary<string, string?> { ["AWS_SECRET_ACCESS_KEY"] = "not-the-secret", ["AWS_EC2_METADATA_DISABLED"] = "true" },
            Push(bucket));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            $"error: S3 at {S3TestServer.ServiceUrl} rejected the signature of GetBucketVersioning on bucket '{bucket}' (SignatureDoesNotMatch): the secret access key is wrong.",
            run.Error.Trim());
        AssertNoStackTrace(run);
    }

    [SkippableFact]
    public async Task A_denied_upload_names_the_key_and_access_denied()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        using (var s3 = S3TestServer.Client())
        {
            await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest
            {
                BucketName = bucket,
                Policy = $$"""
                    { "Version": "2012-10-17", "Statement": [ { "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::{{bucket}}/*" } ] }
                    """,
            });
        }

        var run = await CliRun.RunAsync(Push(bucket));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            $"error: S3 at {S3TestServer.ServiceUrl} denied an upload on s3://{bucket}/models/shapes-demo/model.onnx (AccessDenied): the credentials lack permission for it.",
            run.Error.Trim());
    }

    [Fact]
    public async Task S3_down_is_one_sentence_naming_the_endpoint_and_the_refused_connection()
    {
        var endpoint = $"http://127.0.0.1:{LoopbackPorts.Free()}";

        var run = await CliRun.RunAsync("model", "push", "--weights", Demo.ResolvePath(Demo.Weights!), "--manifest", RepositoryPaths.DemoManifest, "--bucket", "models", "--endpoint", endpoint);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"error: S3 at {endpoint} could not be reached for GetBucketVersioning on bucket 'models': connection refused.", run.Error.Trim());
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task Missing_weights_are_not_found()
    {
        var run = await CliRun.RunAsync("model", "push", "--weights", "/nonexistent.onnx", "--manifest", RepositoryPaths.DemoManifest, "--bucket", "b", "--endpoint", "http://127.0.0.1:9");

        Assert.Equal(3, run.ExitCode);
        Assert.Equal("error: The weights file '/nonexistent.onnx' does not exist.", run.Error.Trim());
    }

    [Fact]
    public async Task A_missing_required_option_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("model", "push", "--weights", "x.onnx");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Option '--bucket' is required.", run.Error, StringComparison.Ordinal);
        Assert.EndsWith("Run 'inference model push --help' for its options.", run.Error.Trim(), StringComparison.Ordinal);
    }
}
