using System.Net;
using System.Text.Json;
using Inference.Api.Tests.Support;
using Inference.Core.Model;
using Inference.Core.Scheduling;
using Inference.Testing;

namespace Inference.Api.Tests;

public sealed class HealthAndModelTests(DemoServiceFixture fixture) : IClassFixture<DemoServiceFixture>
{
    [Fact]
    public async Task Liveness_and_readiness_answer_200_once_loaded()
    {
        using var live = await fixture.Service.Client.GetAsync("/health/live");
        using var ready = await fixture.Service.Client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = await ready.ReadAs<ReadyAnswer>();
        Assert.Equal("ready", body.Status);
        var model = Assert.Single(body.Models);
        Assert.Equal(("default", "ready", "shapes-demo", "CPUExecutionProvider"), (model.Id, model.State, model.Name, model.Provider));
    }

    [Fact]
    public async Task The_models_routes_list_every_model_and_one_by_id_in_the_same_shape()
    {
        var list = await (await fixture.Service.Client.GetAsync("/v1/models")).ReadAs<JsonElement>();
        var byId = await (await fixture.Service.Client.GetAsync("/v1/models/default")).ReadAs<JsonElement>();
        var single = await (await fixture.Service.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();
        using var missing = await fixture.Service.Client.GetAsync("/v1/models/unknown");

        var listed = Assert.Single(list.GetProperty("models").EnumerateArray());
        Assert.Equal(listed.GetRawText(), byId.GetRawText());
        Assert.Equal(byId.GetProperty("sha256").GetString(), single.GetProperty("sha256").GetString());
        Assert.True(byId.GetProperty("default").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("model-not-found", (await missing.ReadAs<ProblemAnswer>()).Code);
    }

    [Fact]
    public async Task The_model_route_reports_manifest_facts_provider_batching_input_and_classes()
    {
        var model = await (await fixture.Service.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();
        var manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);

        Assert.Equal("shapes-demo", model.GetProperty("name").GetString());
        Assert.Equal(manifest.Sha256, model.GetProperty("sha256").GetString());
        Assert.Equal("yolov8", model.GetProperty("format").GetString());
        Assert.Equal("CPUExecutionProvider", model.GetProperty("provider").GetString());
        Assert.Equal(640, model.GetProperty("input").GetProperty("width").GetInt32());
        Assert.Equal("rgb", model.GetProperty("input").GetProperty("channel_order").GetString());
        Assert.Equal("images", model.GetProperty("input").GetProperty("tensor").GetString());
        // The shipped settings leave the batch to the provider: on CPU, batches of up to two.
        Assert.Equal(BatchingOptions.DefaultCpuMaxBatchSize, model.GetProperty("batching").GetProperty("max_batch_size").GetInt32());
        Assert.True(model.GetProperty("batching").GetProperty("dynamic_batch").GetBoolean());

        // The shipped appsettings.json keeps the documented default: a lone request runs at once, not after a wait for company.
        Assert.Equal(0, model.GetProperty("batching").GetProperty("max_delay_ms").GetInt32());
        Assert.Equal(["red", "green", "blue", "yellow"], model.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(0.25, model.GetProperty("defaults").GetProperty("confidence").GetDouble(), 3);
        Assert.True(model.GetProperty("startup_ms").GetDouble() > 0);
        Assert.Equal(0, model.GetProperty("defaulted").GetArrayLength());
        Assert.Equal("float32", model.GetProperty("upload").GetString());
    }

    [Fact]
    public async Task Model_upload_uint8_serves_through_the_merged_input_stage_and_says_so()
    {
        await using var service = await new ServiceHost(new Dictionary<string, string?> { ["Model:Upload"] = "uint8" }).StartAsync();

        var model = await (await service.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();
        using var golden = await service.Client.GetAsync("/health/golden");

        Assert.Equal("uint8", model.GetProperty("upload").GetString());
        Assert.Equal(HttpStatusCode.OK, golden.StatusCode);
    }

    [Fact]
    public async Task The_model_route_says_which_values_the_manifest_left_out_and_what_decided_them()
    {
        var manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);
        var minimal = Path.Combine(Path.GetTempPath(), $"minimal-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(minimal, $$"""{ "name": "shapes", "version": "7", "weights": "{{manifest.ResolvePath(manifest.Weights!)}}" }""");
        try
        {
            await using var service = await new ServiceHost(new Dictionary<string, string?> { ["Model:Manifest"] = minimal }).StartAsync();

            var model = await (await service.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();

            var defaulted = model.GetProperty("defaulted").EnumerateArray()
                .ToDictionary(d => d.GetProperty("field").GetString()!, d => (d.GetProperty("value").GetString(), d.GetProperty("from").GetString()));
            Assert.Equal(("640", "the fixed shape [?, 3, 640, 640] of input 'images'"), defaulted["input.width"]);
            Assert.Equal(("yolov8", "the shape [1, 8, 6400] of output 'output0'"), defaulted["format"]);
            Assert.Equal(("4 names", "the ONNX metadata names"), defaulted["classes"]);
            Assert.Equal(("rgb", "the yolov8 format"), defaulted["input.channelOrder"]);
            Assert.Equal(("0-1", "the yolov8 format"), defaulted["input.pixelScale"]);
            Assert.Equal(("center", "the yolov8 format"), defaulted["input.anchor"]);
            Assert.Equal(("114", "the yolov8 format"), defaulted["input.padValue"]);
            Assert.Equal("center", model.GetProperty("input").GetProperty("anchor").GetString());
        }
        finally
        {
            File.Delete(minimal);
        }
    }

    [Fact]
    public async Task The_golden_check_passes_with_the_demo_model()
    {
        using var response = await fixture.Service.Client.GetAsync("/health/golden");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadAs<JsonElement>();
        Assert.True(body.GetProperty("passed").GetBoolean());
        var model = Assert.Single(body.GetProperty("models").EnumerateArray());
        Assert.Equal("default", model.GetProperty("id").GetString());
        var check = Assert.Single(model.GetProperty("checks").EnumerateArray());
        Assert.Equal(4, check.GetProperty("detections").GetArrayLength());
    }

    [Fact]
    public async Task The_openapi_document_covers_every_route_and_error_shape()
    {
        var document = await (await fixture.Service.Client.GetAsync("/openapi/v1.json")).ReadAs<JsonElement>();
        var paths = document.GetProperty("paths");

        foreach (var route in new[] { "/v1/detect", "/v1/model", "/v1/models", "/v1/models/{id}", "/v1/models/{id}/detect", "/health/live", "/health/ready", "/health/golden", "/metrics" })
        {
            Assert.True(paths.TryGetProperty(route, out _), $"{route} is missing from the OpenAPI document.");
        }

        var detect = paths.GetProperty("/v1/detect").GetProperty("post");
        var responses = detect.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "200", "400", "413", "415", "422", "429", "503" }, responses);
        Assert.True(detect.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.True(detect.GetProperty("requestBody").GetProperty("content").TryGetProperty("image/jpeg", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.TryGetProperty("ProblemDetails", out _));
        Assert.True(schemas.TryGetProperty("DetectionResponse", out _));
    }
}

public sealed class GoldenFailureTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("golden-").FullName;
    private ServiceHost _service = null!;

    public async Task InitializeAsync()
    {
        // The demo model, but a manifest whose golden check expects a box 10 px off.
        var manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);
        var check = manifest.Golden[0];
        var wrong = manifest with
        {
            Weights = manifest.ResolvePath(manifest.Weights!),
            Golden = [check with { Image = manifest.ResolvePath(check.Image), Expected = [.. check.Expected.Skip(1), check.Expected[0] with { Box = check.Expected[0].Box with { X1 = check.Expected[0].Box.X1 + 10 } }] }],
        };
        var path = Path.Combine(_directory, "manifest.json");
        await File.WriteAllTextAsync(path, wrong.ToJson());
        _service = await new ServiceHost(new Dictionary<string, string?> { ["Model:Manifest"] = path }).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_golden_check_fails_with_503_and_says_what_differs()
    {
        using var response = await _service.Client.GetAsync("/health/golden");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.ReadAs<JsonElement>();
        Assert.False(body.GetProperty("passed").GetBoolean());
        var problems = body.GetProperty("models")[0].GetProperty("checks")[0].GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.Contains(problems, p => p.StartsWith("Missing red", StringComparison.Ordinal));
    }
}
