using System.IO.Compression;
using System.Text.Json;
using Inference.Core.Model;
using Inference.Testing;

namespace Inference.Cli.Tests;

/// <summary><c>inference roboflow import</c> on exports built in Roboflow's YOLOv8 folder layout.</summary>
public sealed class RoboflowImportTests : IDisposable
{
    private static readonly ModelManifest Demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
    private readonly string _directory = Directory.CreateTempSubdirectory("roboflow-").FullName;
    private readonly string _database = MongoTestServer.NewDatabaseName();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string BuildExport(string name, string[] classes, bool onnx = true, bool torch = false) =>
        RoboflowExportBuilder.Build(_directory, name, classes, onnx, torch);

    private async Task<CliRun> ImportAsync(string export, string bucket, params string[] extra) =>
        await CliRun.RunAsync(["roboflow", "import", "--export", export, "--model-name", "shapes-detector", "--bucket", bucket,
            "--mongo-uri", MongoTestServer.Uri!, "--database", _database, "--endpoint", S3TestServer.ServiceUrl!, "--actor", "importer", .. extra]);

    [SkippableFact]
    public async Task An_export_folder_becomes_a_dataset_version_and_a_pinned_model_with_lineage()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await ImportAsync(BuildExport("export", ["red", "green", "blue", "yellow"]), bucket, "--json", "--map50", "0.95");

        Assert.True(run.ExitCode == 0, run.Error);
        var result = JsonDocument.Parse(run.Output).RootElement;
        var dataset = result.GetProperty("dataset");
        Assert.True(result.GetProperty("dataset_is_new").GetBoolean());
        Assert.Equal("shapes", dataset.GetProperty("name").GetString());
        Assert.Equal("roboflow", dataset.GetProperty("source").GetProperty("kind").GetString());
        Assert.Equal("3", dataset.GetProperty("source").GetProperty("version").GetString());
        Assert.Equal(3, dataset.GetProperty("image_counts").GetProperty("train").GetInt32());
        Assert.Equal(2, dataset.GetProperty("image_counts").GetProperty("valid").GetInt32());
        var model = result.GetProperty("model");
        Assert.Equal(1, model.GetProperty("version").GetInt32());
        Assert.Equal("roboflow", model.GetProperty("training").GetProperty("source").GetString());
        Assert.Equal(0.95, model.GetProperty("training").GetProperty("metrics").GetProperty("map50").GetDouble());
        Assert.Equal("shapes", model.GetProperty("dataset").GetProperty("name").GetString());
        Assert.Equal(Demo.Sha256, result.GetProperty("pin").GetProperty("weights").GetProperty("sha256").GetString());
        Assert.Equal($"s3://{bucket}/models/shapes-detector/best.onnx", result.GetProperty("environment").GetProperty("Model__Uri").GetString());
    }

    [SkippableFact]
    public async Task The_same_export_as_a_zip_reuses_the_dataset_and_adds_a_model_version()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var folder = BuildExport("export", ["red", "green", "blue", "yellow"]);
        var zip = Path.Combine(_directory, "export.zip");
        ZipFile.CreateFromDirectory(folder, zip, CompressionLevel.Fastest, includeBaseDirectory: true);

        var first = JsonDocument.Parse((await ImportAsync(folder, bucket, "--json")).Output).RootElement;
        var second = await ImportAsync(zip, bucket, "--json");

        Assert.True(second.ExitCode == 0, second.Error);
        var again = JsonDocument.Parse(second.Output).RootElement;
        Assert.False(again.GetProperty("dataset_is_new").GetBoolean());
        Assert.Equal(first.GetProperty("dataset").GetProperty("id").GetString(), again.GetProperty("dataset").GetProperty("id").GetString());
        Assert.Equal(2, again.GetProperty("model").GetProperty("version").GetInt32());
    }

    [SkippableFact]
    public async Task An_export_with_only_pytorch_weights_is_told_to_export_onnx()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await ImportAsync(BuildExport("torch", ["red", "green", "blue", "yellow"], onnx: false, torch: true), bucket);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("only PyTorch weights (weights/best.pt)", run.Error, StringComparison.Ordinal);
        Assert.Contains("yolo export model=best.pt format=onnx", run.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Classes_that_do_not_match_the_weights_are_refused_before_anything_is_registered()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await ImportAsync(BuildExport("three", ["red", "green", "blue"]), bucket);
        var datasets = await CliRun.RunAsync("registry", "dataset", "list", "--json", "--mongo-uri", MongoTestServer.Uri!, "--database", _database);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("The manifest lists 3 classes", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, JsonDocument.Parse(datasets.Output).RootElement.GetArrayLength());
    }
}
