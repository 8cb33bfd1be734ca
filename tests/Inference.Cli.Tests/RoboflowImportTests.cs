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

    private Task<CliRun> ImportAsync(string export, string bucket, params string[] extra) => ImportAsync(export, bucket, (IEnumerable<string>)extra);

    private async Task<CliRun> ImportAsync(string export, string bucket, IEnumerable<string> extra) =>
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
        Assert.True(result.GetProperty("model_is_new").GetBoolean());
        Assert.Equal(1, model.GetProperty("version").GetInt32());
        Assert.Equal("yolov8", model.GetProperty("artifact").GetProperty("format").GetString());
        Assert.Equal("roboflow", model.GetProperty("training").GetProperty("source").GetString());
        Assert.Equal(0.95, model.GetProperty("training").GetProperty("metrics").GetProperty("map50").GetDouble());
        Assert.Equal("shapes", model.GetProperty("dataset").GetProperty("name").GetString());
        Assert.Equal(Demo.Sha256, result.GetProperty("pin").GetProperty("weights").GetProperty("sha256").GetString());
        Assert.Equal($"s3://{bucket}/models/shapes-detector/best.onnx", result.GetProperty("environment").GetProperty("Model__Uri").GetString());
    }

    [SkippableFact]
    public async Task The_same_weights_imported_again_return_the_version_they_already_are()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var folder = BuildExport("export", ["red", "green", "blue", "yellow"]);
        var zip = Path.Combine(_directory, "export.zip");
        ZipFile.CreateFromDirectory(folder, zip, CompressionLevel.Fastest, includeBaseDirectory: true);

        var first = JsonDocument.Parse((await ImportAsync(folder, bucket, "--json")).Output).RootElement;
        var second = await ImportAsync(zip, bucket, "--json");
        var text = await ImportAsync(folder, bucket);

        Assert.True(second.ExitCode == 0, second.Error);
        var again = JsonDocument.Parse(second.Output).RootElement;
        Assert.False(again.GetProperty("model_is_new").GetBoolean());
        Assert.False(again.GetProperty("dataset_is_new").GetBoolean());
        Assert.Equal(first.GetProperty("model").GetProperty("id").GetString(), again.GetProperty("model").GetProperty("id").GetString());
        Assert.Equal(1, again.GetProperty("model").GetProperty("version").GetInt32());
        Assert.Equal(first.GetProperty("environment").ToString(), again.GetProperty("environment").ToString());
        Assert.Contains("Model shapes-detector@1 already holds these weights", text.Output, StringComparison.Ordinal);
        Assert.Single(await ModelsAsync());
    }

    [SkippableFact]
    public async Task New_weights_for_the_same_export_add_a_version_and_reuse_the_dataset()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var folder = BuildExport("export", ["red", "green", "blue", "yellow"]);
        var first = JsonDocument.Parse((await ImportAsync(folder, bucket, "--json")).Output).RootElement;

        var run = await ImportAsync(folder, bucket, "--json", "--weights", TestModels.Demo(_directory, "retrained.onnx", TestModels.Padded(1)));

        Assert.True(run.ExitCode == 0, run.Error);
        var second = JsonDocument.Parse(run.Output).RootElement;
        Assert.True(second.GetProperty("model_is_new").GetBoolean());
        Assert.Equal(2, second.GetProperty("model").GetProperty("version").GetInt32());
        Assert.Equal(first.GetProperty("dataset").GetProperty("id").GetString(), second.GetProperty("dataset").GetProperty("id").GetString());
    }

    [SkippableTheory]
    [InlineData("yolov5", null)]
    [InlineData("end2end", null)]
    [InlineData("yolov5", "yolov5")]
    public async Task Every_layout_the_service_decodes_imports_and_serves_its_registered_version(string layout, string? format)
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var weights = layout == "yolov5"
            ? TestModels.Demo(_directory, "v5.onnx", TestModels.Yolov5Layout)
            : TestModels.Write(_directory, "e2e.onnx", TestModels.End2End([(40, 30, 200, 180, 0.9f, 2)]));
        string[] extra = format is null ? [] : ["--format", format];

        var run = await ImportAsync(BuildExport("export", ["red", "green", "blue", "yellow"]), bucket, ["--json", "--weights", weights, .. extra]);

        Assert.True(run.ExitCode == 0, run.Error);
        var model = JsonDocument.Parse(run.Output).RootElement.GetProperty("model");
        Assert.Equal(layout, model.GetProperty("artifact").GetProperty("format").GetString());
        Assert.Equal(4, model.GetProperty("artifact").GetProperty("classes").GetArrayLength());
        using var s3 = S3TestServer.Client();
        var pin = JsonDocument.Parse(run.Output).RootElement.GetProperty("pin").GetProperty("manifest");
        using var manifestObject = await s3.GetObjectAsync(new Amazon.S3.Model.GetObjectRequest
        {
            BucketName = bucket,
            Key = "models/shapes-detector/manifest.json",
            VersionId = pin.GetProperty("version_id").GetString(),
        });
        var manifest = ModelManifest.Parse(await new StreamReader(manifestObject.ResponseStream).ReadToEndAsync());
        Assert.Equal(("shapes-detector", "1"), (manifest.Name, manifest.Version));
        Assert.Equal((ChannelOrder.Rgb, PixelScale.Unit, LetterboxAnchor.Center, (byte)114), (manifest.Input.ChannelOrder, manifest.Input.PixelScale, manifest.Input.Anchor, manifest.Input.PadValue));
        Assert.NotEmpty(manifest.Golden);
    }

    [SkippableFact]
    public async Task A_format_that_does_not_fit_the_weights_is_refused_before_anything_is_registered()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await ImportAsync(BuildExport("export", ["red", "green", "blue", "yellow"]), bucket, "--format", "end2end");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: The model cannot be served: Output 'output0' has shape [1, 8, 6400], but the end2end format needs 6 columns (x1, y1, x2, y2, score, class).", run.Error.Trim());
        Assert.Empty(await DatasetsAsync());
    }

    [SkippableFact]
    public async Task An_export_with_only_pytorch_weights_is_told_to_export_onnx()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var run = await ImportAsync(BuildExport("torch", ["red", "green", "blue", "yellow"], onnx: false, torch: true), bucket);

        Assert.Equal(2, run.ExitCode);
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

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("The manifest lists 3 classes", run.Error, StringComparison.Ordinal);
        Assert.Empty(await DatasetsAsync());
    }

    private async Task<IReadOnlyList<JsonElement>> DatasetsAsync() =>
        [.. JsonDocument.Parse((await CliRun.RunAsync("registry", "dataset", "list", "--json", "--mongo-uri", MongoTestServer.Uri!, "--database", _database)).Output).RootElement.EnumerateArray()];

    private async Task<IReadOnlyList<JsonElement>> ModelsAsync() =>
        [.. JsonDocument.Parse((await CliRun.RunAsync("registry", "model", "list", "--json", "--mongo-uri", MongoTestServer.Uri!, "--database", _database)).Output).RootElement.EnumerateArray()];
}
