using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Inference.Lambda.Detection;
using Inference.Lambda.Runtime;
using Inference.Lambda.Tests.Support;
using Inference.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inference.Lambda.Tests;

/// <summary>
/// The light-model handler answers Function URL events with the service's routes and JSON: the same detections as
/// the service on the same images, and a 4xx problem document (never a crash) for bad input.
/// </summary>
public sealed class DetectHandlerTests : IClassFixture<DetectHandlerTests.DemoHandler>
{
    private readonly DemoHandler _demo;

    public DetectHandlerTests(DemoHandler demo) => _demo = demo;

    public static TheoryData<string> Samples() => new(Directory.GetFiles(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples"), "*.png").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Detections_match_the_service_on_the_same_image(string sample)
    {
        var image = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", sample));

        var (status, _, body) = await InvokeAsync(_demo.Handler, Events.FunctionUrl("POST", "/v1/detect", image, "image/png"));
        var service = await ServiceDetectAsync(_demo.Service, image, "image/png");

        Assert.Equal(200, status);
        Assert.NotEmpty(body.GetProperty("detections").EnumerateArray());
        Assert.Equal(Comparable(service), Comparable(body));
    }

    [SkippableFact]
    public async Task Yolox_detections_match_the_service_on_the_real_photos()
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        var scratch = Directory.CreateTempSubdirectory("lambda-yolox-").FullName;
        try
        {
            var manifest = Path.Combine(scratch, "manifest.json");
            await File.WriteAllTextAsync(manifest, (YoloxFixture.Manifest() with { Weights = Path.Combine(YoloxFixture.ModelDirectory, YoloxFixture.DynamicModel) }).ToJson());
            await using var serving = await LambdaServing.StartAsync(Configuration(new() { ["Model:Manifest"] = manifest }), NullLoggerFactory.Instance, CancellationToken.None);
            var handler = new DetectHandler(serving);
            await using var service = await Services.HealthyAsync(new Dictionary<string, string> { ["Model__Manifest"] = manifest });

            foreach (var photo in new[] { "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg" })
            {
                var image = await File.ReadAllBytesAsync(YoloxFixture.Photo(photo));
                var type = photo.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg";

                var (status, _, body) = await InvokeAsync(handler, Events.FunctionUrl("POST", "/v1/detect", image, type));

                Assert.Equal(200, status);
                Assert.Equal(Comparable(await ServiceDetectAsync(service, image, type)), Comparable(body));
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public async Task Json_bodies_and_query_parameters_are_read_like_the_services_parameters()
    {
        var image = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        var json = JsonSerializer.SerializeToUtf8Bytes(new { image = Convert.ToBase64String(image), classes = "red,blue" });

        var (jsonStatus, _, jsonBody) = await InvokeAsync(_demo.Handler, Events.FunctionUrl("POST", "/v1/detect", json, "application/json", base64: false));
        var (queryStatus, _, queryBody) = await InvokeAsync(_demo.Handler, Events.FunctionUrl("POST", "/", image, "image/png", query: new Dictionary<string, string> { ["classes"] = "green" }));

        Assert.Equal(200, jsonStatus);
        Assert.Equal(["blue", "red"], jsonBody.GetProperty("detections").EnumerateArray().Select(d => d.GetProperty("class").GetString()).Order());
        Assert.Equal(200, queryStatus);
        Assert.Equal(["green"], queryBody.GetProperty("detections").EnumerateArray().Select(d => d.GetProperty("class").GetString()));
    }

    [Fact]
    public async Task The_function_takes_the_same_limits_and_the_same_model_info_shape_as_the_service()
    {
        await using var serving = await LambdaServing.StartAsync(Configuration(new() { ["Limits:MaxPixels"] = "10000", ["Limits:MaxImagesPerRequest"] = "1" }), NullLoggerFactory.Instance, CancellationToken.None);
        var handler = new DetectHandler(serving);
        var image = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        var two = JsonSerializer.SerializeToUtf8Bytes(new { images = new[] { Convert.ToBase64String(image), Convert.ToBase64String(image) } });

        var (largeStatus, _, large) = await InvokeAsync(handler, Events.FunctionUrl("POST", "/v1/detect", image, "image/png"));
        var (manyStatus, _, many) = await InvokeAsync(handler, Events.FunctionUrl("POST", "/v1/detect", two, "application/json", base64: false));
        var (_, _, model) = await InvokeAsync(handler, Events.FunctionUrl("GET", "/v1/models/default"));
        var serviceModel = JsonDocument.Parse(await _demo.Service.Client.GetStringAsync("/v1/models/default")).RootElement;

        Assert.Equal((422, "image-too-large"), (largeStatus, large.GetProperty("code").GetString()));
        Assert.Equal((413, "too-many-images"), (manyStatus, many.GetProperty("code").GetString()));
        Assert.Equal(
            serviceModel.EnumerateObject().Select(p => p.Name).Where(n => n != "batching"),
            model.EnumerateObject().Select(p => p.Name).Where(n => n != "batching"));
    }

    [Fact]
    public async Task The_model_and_health_routes_answer_like_the_service()
    {
        var (modelStatus, _, model) = await InvokeAsync(_demo.Handler, Events.FunctionUrl("GET", "/v1/model"));
        var (readyStatus, _, ready) = await InvokeAsync(_demo.Handler, Events.FunctionUrl("GET", "/health/ready"));
        var (goldenStatus, _, golden) = await InvokeAsync(_demo.Handler, Events.FunctionUrl("GET", "/health/golden"));
        var serviceModel = JsonDocument.Parse(await _demo.Service.Client.GetStringAsync("/v1/model")).RootElement;

        Assert.Equal((200, 200, 200), (modelStatus, readyStatus, goldenStatus));
        foreach (var field in new[] { "name", "version", "sha256" })
        {
            Assert.Equal(serviceModel.GetProperty(field).GetString(), model.GetProperty(field).GetString());
        }

        Assert.Equal("CPUExecutionProvider", model.GetProperty("provider").GetString());
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.True(golden.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task Images_by_url_come_through_the_same_fetcher_and_rules_as_the_service()
    {
        var image = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        await using var host = await ImageHost.StartAsync(new Dictionary<string, byte[]> { ["golden.png"] = image });
        await using var serving = await LambdaServing.StartAsync(
            Configuration(new() { ["Inputs:AllowUrlFetch"] = "true", ["Inputs:AllowedHosts:0"] = "127.0.0.1", ["Inputs:AllowedNetworks:0"] = "127.0.0.1/32" }),
            NullLoggerFactory.Instance,
            CancellationToken.None);
        var handler = new DetectHandler(serving);
        byte[] Body(string url) => JsonSerializer.SerializeToUtf8Bytes(new { image = new { type = "url", value = url } });

        var (status, _, body) = await InvokeAsync(handler, Events.FunctionUrl("POST", "/v1/detect", Body(host.Image("golden.png").ToString()), "application/json", base64: false));
        var (refusedStatus, _, refused) = await InvokeAsync(handler, Events.FunctionUrl("POST", "/v1/detect", Body($"http://localhost:{host.Port}/images/golden.png"), "application/json", base64: false));

        Assert.Equal(200, status);
        Assert.Equal(Comparable(await ServiceDetectAsync(_demo.Service, image, "image/png")), Comparable(body));
        Assert.Equal((403, "url-host-not-allowed"), (refusedStatus, refused.GetProperty("code").GetString()));
        Assert.Single(host.Hosts);
    }

    public static TheoryData<string, byte[], int, string> BadRequests() => new()
    {
        { "random bytes", Events.FunctionUrl("POST", "/v1/detect", [.. Enumerable.Range(0, 512).Select(i => (byte)(i * 37))], "application/octet-stream"), 400, "not-an-image" },
        { "empty body", Events.FunctionUrl("POST", "/v1/detect", [], "image/png"), 400, "not-an-image" },
        { "text", Events.FunctionUrl("POST", "/v1/detect", Encoding.UTF8.GetBytes("hello"), "text/plain"), 415, "unsupported-media-type" },
        { "bad base64 flag", BrokenBase64(), 400, "not-an-image" },
        { "json without image", Events.FunctionUrl("POST", "/v1/detect", Encoding.UTF8.GetBytes("{\"confidence\": 0.5}"), "application/json", base64: false), 400, "malformed-body" },
        { "json that does not parse", Events.FunctionUrl("POST", "/v1/detect", Encoding.UTF8.GetBytes("{\"image\": "), "application/json", base64: false), 400, "malformed-body" },
        { "bad parameter", Events.FunctionUrl("POST", "/v1/detect", TestImages.Png(TestImages.Gradient(64, 48)), "image/png", query: new Dictionary<string, string> { ["confidence"] = "7" }), 400, "invalid-parameters" },
        { "unknown class", Events.FunctionUrl("POST", "/v1/detect", TestImages.Png(TestImages.Gradient(64, 48)), "image/png", query: new Dictionary<string, string> { ["classes"] = "purple" }), 400, "invalid-parameters" },
        { "truncated png", Events.FunctionUrl("POST", "/v1/detect", TestImages.Png(TestImages.Gradient(640, 480))[..200], "image/png"), 422, "corrupt-image" },
        { "huge header", Events.FunctionUrl("POST", "/v1/detect", TestImages.PngHeaderOnly(100_000, 100_000), "image/png"), 422, "image-too-large" },
        { "misspelt parameter", Events.FunctionUrl("POST", "/v1/detect", TestImages.Png(TestImages.Gradient(64, 48)), "image/png", query: new Dictionary<string, string> { ["confidance"] = "0.5" }), 400, "invalid-parameters" },
        { "image by url while fetching is off", Events.FunctionUrl("POST", "/v1/detect", Encoding.UTF8.GetBytes("{\"image\": {\"type\": \"url\", \"value\": \"http://127.0.0.1/x.png\"}}"), "application/json", base64: false), 400, "url-fetch-disabled" },
        { "wrong method", Events.FunctionUrl("GET", "/v1/detect"), 405, "method-not-allowed" },
        { "unknown route", Events.FunctionUrl("POST", "/v2/anything", [1, 2, 3], "image/png"), 404, "not-found" },
        { "not an http event", Encoding.UTF8.GetBytes("{\"hello\": \"world\"}"), 400, "not-an-http-event" },
        { "not json at all", Encoding.UTF8.GetBytes("\u0001\u0002garbage"), 400, "not-an-http-event" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_gets_a_problem_document_and_the_next_request_is_served(string what, byte[] payload, int status, string code)
    {
        var (actualStatus, contentType, body) = await InvokeAsync(_demo.Handler, payload);
        var image = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        var (nextStatus, _, _) = await InvokeAsync(_demo.Handler, Events.FunctionUrl("POST", "/v1/detect", image, "image/png"));

        Assert.True(actualStatus == status, $"{what}: {actualStatus} {body}");
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.Equal($"urn:inference:problem:{code}", body.GetProperty("type").GetString());
        Assert.Equal(200, nextStatus);
    }

    private static byte[] BrokenBase64()
    {
        var document = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Events.FunctionUrl("POST", "/v1/detect", [1, 2, 3], "image/png"))!;
        var edited = document.ToDictionary(p => p.Key, p => (object)p.Value);
        edited["body"] = "%%% not base64 %%%";
        return JsonSerializer.SerializeToUtf8Bytes(edited);
    }

    internal static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static async Task<(int Status, string ContentType, JsonElement Body)> InvokeAsync(DetectHandler handler, byte[] payload) =>
        Events.Result(await handler.HandleAsync(new Invocation("request", DateTimeOffset.UtcNow.AddMinutes(1), null, null, payload), CancellationToken.None));

    private static async Task<JsonElement> ServiceDetectAsync(ApiProcess service, byte[] image, string type)
    {
        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        using var response = await service.Client.PostAsync("/v1/detect", content);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    // Everything but the timings, which differ run to run.
    private static string Comparable(JsonElement response) =>
        JsonSerializer.Serialize(new { model = response.GetProperty("model"), image = response.GetProperty("image"), detections = response.GetProperty("detections") });

    /// <summary>The handler on the embedded demo model, and the service beside it.</summary>
    public sealed class DemoHandler : IAsyncLifetime
    {
        public DetectHandler Handler { get; private set; } = null!;

        public ApiProcess Service { get; private set; } = null!;

        private LambdaServing _serving = null!;

        public async Task InitializeAsync()
        {
            _serving = await LambdaServing.StartAsync(Configuration([]), NullLoggerFactory.Instance, CancellationToken.None);
            Handler = new DetectHandler(_serving);
            Service = await Services.HealthyAsync();
        }

        public async Task DisposeAsync()
        {
            await Service.DisposeAsync();
            await _serving.DisposeAsync();
        }
    }
}
