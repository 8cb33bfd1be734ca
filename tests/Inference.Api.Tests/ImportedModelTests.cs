using System.Net;
using System.Text.Json;
using Inference.Api.Tests.Support;
using Inference.Cli.Roboflow;
using Inference.Registry;
using Inference.Registry.Models;
using Inference.Registry.Storage;
using Inference.Testing;

namespace Inference.Api.Tests;

/// <summary>The whole path a Roboflow user takes: import an export, then serve the registered model from its pin.</summary>
[Collection(Serial.Name)]
public sealed class ImportedModelTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("imported-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public async Task An_imported_model_is_served_from_its_registry_pin_and_passes_its_golden_check()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var registry = new ModelRegistry(
            await RegistryDatabase.ConnectAsync(MongoTestServer.Uri!, MongoTestServer.NewDatabaseName()),
            new S3ArtifactVerifier(S3TestServer.Client(), S3TestServer.Options()));
        using var s3 = S3TestServer.Client();
        var export = RoboflowExportBuilder.Build(_directory, "export", ["red", "green", "blue", "yellow"]);

        var imported = await new RoboflowImporter(registry, s3)
            .ImportAsync(new ImportRequest(export, "shapes-detector", bucket), new TrainingInfo { Source = TrainingSource.Roboflow }, "test");

        var registered = await registry.Models.GetAsync("shapes-detector", 1);
        var settings = registered.Artifact.Environment.ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => (string?)e.Value);
        settings["Model:CacheDirectory"] = Path.Combine(_directory, "cache");
        settings["S3:ServiceUrl"] = S3TestServer.ServiceUrl;
        await using var service = await new ServiceHost(settings).StartAsync();

        var model = await (await service.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();
        using var golden = await service.Client.GetAsync("/health/golden");
        var checks = await golden.ReadAs<JsonElement>();

        Assert.Equal("shapes-detector", model.GetProperty("name").GetString());
        Assert.Equal("1", model.GetProperty("version").GetString());
        Assert.Equal(imported.Pin.Weights.Sha256, model.GetProperty("sha256").GetString());
        Assert.Equal(HttpStatusCode.OK, golden.StatusCode);
        Assert.True(checks.GetProperty("passed").GetBoolean());
        Assert.NotEmpty(checks.GetProperty("models")[0].GetProperty("checks")[0].GetProperty("detections").EnumerateArray());
    }
}
