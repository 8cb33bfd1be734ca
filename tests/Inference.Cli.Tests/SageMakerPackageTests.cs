using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3.Model;
using Inference.Core.Model;
using Inference.Core.Serving;
using Inference.Testing;

namespace Inference.Cli.Tests;

/// <summary>
/// <c>inference model package-sagemaker</c> against radosgw: the model pushed and pinned as 'model push' does, plus
/// <c>model.tar.gz</c> that unpacks into a model directory the service loads as it is, under a key named by its hash,
/// written once; and 'registry model register' keeps the archive's pin (against jongodb).
/// </summary>
public sealed class SageMakerPackageTests : IDisposable
{
    private static readonly ModelManifest Demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
    private readonly string _directory = Directory.CreateTempSubdirectory("sagemaker-package-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string[] Package(string bucket, params string[] extra) =>
    [
        "model", "package-sagemaker",
        "--weights", Demo.ResolvePath(Demo.Weights!),
        "--manifest", RepositoryPaths.DemoManifest,
        "--bucket", bucket,
        "--endpoint", S3TestServer.ServiceUrl!,
        .. extra,
    ];

    [SkippableFact]
    public async Task The_archive_unpacks_into_a_model_directory_the_service_loads_and_passes_its_golden_checks()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await CliRun.RunAsync(Package(bucket, "--name", "detector", "--version", "4", "--json"));

        Assert.True(run.ExitCode == 0, run.Error);
        var pin = JsonDocument.Parse(run.Output).RootElement;
        var package = pin.GetProperty("sagemaker");
        var uri = package.GetProperty("uri").GetString()!;
        var sha256 = package.GetProperty("sha256").GetString()!;
        Assert.Equal($"s3://{bucket}/models/detector/sagemaker/{sha256}/model.tar.gz", uri);
        Assert.Equal($"s3://{bucket}/models/detector/model.onnx", pin.GetProperty("weights").GetProperty("uri").GetString());

        var archive = await DownloadAsync(bucket, uri, package.GetProperty("version_id").GetString()!);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(archive)));
        Assert.Equal(package.GetProperty("size").GetInt64(), archive.Length);

        // What SageMaker does: unpack into /opt/ml/model; the manifest there is what the container loads.
        var model = Path.Combine(_directory, "opt-ml-model");
        var names = await ExtractAsync(archive, model);
        Assert.Equal(["golden/golden.png", "manifest.json", "model.onnx"], names.Order(StringComparer.Ordinal));
        var manifest = ModelManifest.Load(Path.Combine(model, "manifest.json"));
        Assert.Equal(("detector", "4", Demo.Sha256), (manifest.Name, manifest.Version, manifest.Sha256));
        Assert.Equal("model.onnx", manifest.Weights);
        var report = await ModelCheck.RunAsync(Path.Combine(model, "manifest.json"), null);
        Assert.True(report.Passed, string.Join(" ", report.Problems));
        Assert.True(report.Golden!.Passed);
    }

    [SkippableFact]
    public async Task Packaging_again_reuses_the_archive_and_other_bytes_under_its_key_are_refused()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var first = JsonDocument.Parse((await CliRun.RunAsync(Package(bucket, "--json"))).Output).RootElement.GetProperty("sagemaker");
        var again = JsonDocument.Parse((await CliRun.RunAsync(Package(bucket, "--json"))).Output).RootElement.GetProperty("sagemaker");
        var renamed = JsonDocument.Parse((await CliRun.RunAsync(Package(bucket, "--version", "9", "--json"))).Output).RootElement.GetProperty("sagemaker");

        // The same files make the same archive, so the same key and version: nothing is uploaded twice.
        Assert.Equal(first.GetProperty("uri").GetString(), again.GetProperty("uri").GetString());
        Assert.Equal(first.GetProperty("version_id").GetString(), again.GetProperty("version_id").GetString());
        Assert.NotEqual(first.GetProperty("sha256").GetString(), renamed.GetProperty("sha256").GetString());

        // Someone writes other bytes under the first key: SageMaker would fetch them, so packaging refuses (exit 4).
        S3ObjectRef(first.GetProperty("uri").GetString()!, out var key);
        await S3TestServer.PutAsync(bucket, key, [1, 2, 3]);
        var tampered = await CliRun.RunAsync(Package(bucket));

        Assert.Equal(4, tampered.ExitCode);
        Assert.Contains("holds another archive", tampered.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_model_the_service_would_refuse_is_not_packaged_and_nothing_is_uploaded()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        // Two classes for a model that has four: the service would refuse to load it.
        var manifest = Path.Combine(RepositoryPaths.DemoModelDirectory, "manifest.json");
        var wrong = Path.Combine(_directory, "manifest.json");
        var broken = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(manifest))!;
        broken["classes"] = new System.Text.Json.Nodes.JsonArray("red", "green");
        broken["golden"] = new System.Text.Json.Nodes.JsonArray();
        await File.WriteAllTextAsync(wrong, broken.ToJsonString());
        manifest = wrong;

        var run = await CliRun.RunAsync("model", "package-sagemaker", "--weights", Demo.ResolvePath(Demo.Weights!), "--manifest", manifest, "--bucket", bucket, "--endpoint", S3TestServer.ServiceUrl!);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("model-invalid", await JsonErrorCodeAsync(bucket, manifest), StringComparison.Ordinal);
        using var s3 = S3TestServer.Client();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.True(listing.S3Objects is null || listing.S3Objects.Count == 0);
    }

    [SkippableFact]
    public async Task Register_keeps_the_archives_pin_and_refuses_one_that_does_not_match_s3()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var database = MongoTestServer.NewDatabaseName();
        string[] Globals() => ["--mongo-uri", MongoTestServer.Uri!, "--database", database, "--endpoint", S3TestServer.ServiceUrl!, "--actor", "ci-bot"];
        var pinFile = Path.Combine(_directory, "pin.json");
        await File.WriteAllTextAsync(pinFile, (await CliRun.RunAsync(Package(bucket, "--name", "detector", "--version", "1", "--json"))).Output);
        var pin = JsonDocument.Parse(await File.ReadAllTextAsync(pinFile)).RootElement.GetProperty("sagemaker");
        await CliRun.RunAsync(["registry", "dataset", "register", "--name", "shapes", "--classes", "red,green,blue,yellow", .. Globals()]);

        var registered = await CliRun.RunAsync(["registry", "model", "register", "--dataset", "shapes@1", "--pin", pinFile, "--json", .. Globals()]);
        var shown = await CliRun.RunAsync(["registry", "model", "show", "detector@1", "--json", .. Globals()]);

        Assert.True(registered.ExitCode == 0, registered.Error);
        var stored = JsonDocument.Parse(shown.Output).RootElement.GetProperty("model").GetProperty("artifact").GetProperty("sagemaker_package");
        Assert.Equal(pin.GetProperty("uri").GetString(), stored.GetProperty("uri").GetString());
        Assert.Equal(pin.GetProperty("version_id").GetString(), stored.GetProperty("version_id").GetString());
        Assert.Equal(pin.GetProperty("sha256").GetString(), stored.GetProperty("sha256").GetString());

        // A pin whose archive hash is not the stored object's (a hand-edited pin, or another upload under the key).
        var second = System.Text.Json.Nodes.JsonNode.Parse((await CliRun.RunAsync(Package(bucket, "--name", "detector", "--version", "2", "--json"))).Output)!;
        second["sagemaker"]!["sha256"] = new string('0', 64);
        var forged = Path.Combine(_directory, "forged.json");
        await File.WriteAllTextAsync(forged, second.ToJsonString());
        var refused = await CliRun.RunAsync(["registry", "model", "register", "--name", "detector", "--dataset", "shapes@1", "--pin", forged, .. Globals()]);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("SageMaker package", refused.Error, StringComparison.Ordinal);
    }

    private static async Task<string> JsonErrorCodeAsync(string bucket, string manifest)
    {
        var run = await CliRun.RunAsync("model", "package-sagemaker", "--weights", Demo.ResolvePath(Demo.Weights!), "--manifest", manifest, "--bucket", bucket, "--endpoint", S3TestServer.ServiceUrl!, "--json");
        return JsonDocument.Parse(run.Error).RootElement.GetProperty("code").GetString()!;
    }

    private static void S3ObjectRef(string uri, out string key) => key = uri[(uri.IndexOf('/', "s3://".Length) + 1)..];

    private static async Task<byte[]> DownloadAsync(string bucket, string uri, string versionId)
    {
        S3ObjectRef(uri, out var key);
        using var s3 = S3TestServer.Client();
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId });
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task<List<string>> ExtractAsync(byte[] archive, string directory)
    {
        Directory.CreateDirectory(directory);
        var names = new List<string>();
        await using var gzip = new GZipStream(new MemoryStream(archive), CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync() is { } entry)
        {
            names.Add(entry.Name);
            var target = Path.Combine(directory, entry.Name);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await entry.ExtractToFileAsync(target, overwrite: false);
        }

        return names;
    }
}
