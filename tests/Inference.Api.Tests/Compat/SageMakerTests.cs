using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Inference.Api.Hosting;
using Inference.Api.Tests.Support;
using Inference.Core.Model;
using Inference.DemoModel;
using Inference.Testing;

namespace Inference.Api.Tests.Compat;

/// <summary>
/// SageMaker's container contract with the real process: started as <c>docker run image serve</c> starts it (the
/// <c>serve</c> argument), on <c>SAGEMAKER_BIND_TO_PORT</c>, serving the model unpacked into the model directory,
/// and called as SageMaker forwards <c>InvokeEndpoint</c>: Content-Type, Accept and the custom attributes header.
/// </summary>
public sealed class SageMakerTests(SageMakerProcessFixture fixture) : IClassFixture<SageMakerProcessFixture>
{
    private ApiProcess Api => fixture.Api;

    [Fact]
    public async Task Serve_listens_on_the_bind_port_and_serves_the_model_from_the_model_directory()
    {
        using var ping = await Api.Client.GetAsync("/ping");
        var model = await (await Api.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();

        Assert.Equal(fixture.Port, Api.Client.BaseAddress!.Port);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Empty(await ping.Content.ReadAsByteArrayAsync());
        Assert.Equal(("shapes-demo", "sagemaker-7"), (model.GetProperty("name").GetString(), model.GetProperty("version").GetString()));
        Assert.Contains(Api.LogEntries(), e => e.GetProperty("Message").GetString()!.Contains($"SageMaker serve mode on port {fixture.Port}: serving the manifest", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("application/x-image")]
    [InlineData("application/octet-stream")]
    public async Task Invocations_take_the_image_with_parameters_in_the_custom_attributes(string contentType)
    {
        // InvokeEndpoint(Body=png, ContentType=…, Accept="application/json", CustomAttributes="confidence=0.5;classes=red,blue")
        using var request = Invocation(DemoModelFiles.GoldenScene().RenderPng(), contentType, "confidence=0.5;classes=red,blue");

        using var response = await Api.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<DetectAnswer>();
        Assert.Equal(("shapes-demo", "sagemaker-7"), (answer.Model.Name, answer.Model.Version));
        Assert.Equal(["blue", "red"], answer.Detections.Select(d => d.Class).Order());
    }

    [Fact]
    public async Task Invocations_take_native_json_and_answer_a_list_for_a_list()
    {
        var png = Convert.ToBase64String(DemoModelFiles.GoldenScene().RenderPng());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/invocations") { Content = new StringContent($$"""{"images": ["{{png}}", "{{png}}"]}""", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Amzn-SageMaker-Custom-Attributes", "max_detections=2");

        using var response = await Api.Client.SendAsync(request);

        var answers = await response.ReadAs<List<DetectAnswer>>();
        Assert.Equal([2, 2], answers.Select(a => a.Detections.Count));
    }

    [Theory]
    [InlineData("confidence=0.5;confidance=0.4", "invalid-parameters")]
    [InlineData("just-a-trace-id", "invalid-parameters")]
    [InlineData("iou=0.5;iou=0.6", "invalid-parameters")]
    public async Task Custom_attributes_that_are_not_parameters_are_named_in_a_problem(string attributes, string code)
    {
        using var request = Invocation(DemoModelFiles.GoldenScene().RenderPng(), "image/png", attributes);

        using var response = await Api.Client.SendAsync(request);

        await RoboflowTests.AssertProblem(response, HttpStatusCode.BadRequest, code);
    }

    [Theory]
    [InlineData("text/csv")]
    [InlineData("image/webp")]
    public async Task An_accept_this_service_cannot_answer_is_refused(string accept)
    {
        using var request = Invocation(DemoModelFiles.GoldenScene().RenderPng(), "image/png", null, accept);

        using var response = await Api.Client.SendAsync(request);

        await RoboflowTests.AssertProblem(response, HttpStatusCode.NotAcceptable, "not-acceptable");
    }

    [Theory]
    [InlineData("image/jpeg", "JPEG")]
    [InlineData("image/png", "PNG")]
    public async Task An_image_accept_answers_the_annotated_image(string accept, string format)
    {
        using var request = Invocation(DemoModelFiles.GoldenScene().RenderPng(), "image/png", "labels=false;stroke=2", accept);

        using var response = await Api.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(accept, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("4", response.Headers.GetValues("X-Detections").Single());
        var info = SixLabors.ImageSharp.Image.Identify(await response.Content.ReadAsByteArrayAsync(), out var decodedFormat);
        Assert.Equal(format, decodedFormat?.Name);
        Assert.Equal((640, 640), (info.Width, info.Height));
    }

    [Fact]
    public async Task Execution_parameters_tell_batch_transform_one_image_per_request_and_the_payload_limit()
    {
        var parameters = await (await Api.Client.GetAsync("/execution-parameters")).ReadAs<JsonElement>();
        var batching = (await (await Api.Client.GetAsync("/v1/model")).ReadAs<JsonElement>()).GetProperty("batching");

        Assert.Equal("SINGLE_RECORD", parameters.GetProperty("BatchStrategy").GetString());
        Assert.Equal(20, parameters.GetProperty("MaxPayloadInMB").GetInt32());

        // As many transforms as one round of the model's instance group takes (the lone instance only runs when alone).
        var concurrent = batching.GetProperty("max_batch_size").GetInt32() * batching.GetProperty("instances").GetInt32();
        Assert.True(concurrent > 1);
        Assert.Equal(concurrent, parameters.GetProperty("MaxConcurrentTransforms").GetInt32());
    }

    [Fact]
    public async Task A_bind_port_that_is_not_a_port_stops_the_boot_with_one_sentence()
    {
        var environment = SageMakerProcessFixture.Environment(fixture.ModelDirectory, 0);
        environment["SAGEMAKER_BIND_TO_PORT"] = "eighty";

        var (exitCode, output) = await ApiProcess.RunToExitAsync(environment, TimeSpan.FromSeconds(60), ["serve"]);

        Assert.Equal(StartupFailure.ExitCode, exitCode);
        Assert.Contains("Configuration error: SAGEMAKER_BIND_TO_PORT must be a port from 1 to 65535 (got 'eighty').", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_manifest_in_the_model_directory_the_configured_model_serves()
    {
        var empty = Directory.CreateTempSubdirectory("opt-ml-empty-").FullName;
        try
        {
            var environment = SageMakerProcessFixture.Environment(empty, LoopbackPorts.Free());
            await using var api = await ApiProcess.StartAsync(environment, arguments: ["serve"]);
            await api.WaitUntilReadyAsync();

            var model = await (await api.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();

            Assert.Equal("2", model.GetProperty("version").GetString());
            Assert.Contains(api.LogEntries(), e => e.GetProperty("Message").GetString()!.Contains("holds no manifest.json, so the configured Model settings apply", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    private static HttpRequestMessage Invocation(byte[] body, string contentType, string? attributes, string accept = "application/json")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, "/invocations") { Content = content };
        request.Headers.Accept.ParseAdd(accept);
        if (attributes is not null)
        {
            request.Headers.Add("X-Amzn-SageMaker-Custom-Attributes", attributes);
        }

        return request;
    }
}

/// <summary>One process in serve mode for the class: starting one costs seconds (load, warm-up) on a shared machine.</summary>
public sealed class SageMakerProcessFixture : IAsyncLifetime
{
    public string ModelDirectory { get; } = Directory.CreateTempSubdirectory("opt-ml-model-").FullName;

    public int Port { get; } = LoopbackPorts.Free();

    public ApiProcess Api { get; private set; } = null!;

    public static Dictionary<string, string> Environment(string modelDirectory, int port) => new()
    {
        ["SAGEMAKER_BIND_TO_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SageMaker__Host"] = "127.0.0.1",
        ["SageMaker__ModelDirectory"] = modelDirectory,
        ["Shutdown__DrainDelaySeconds"] = "0",
    };

    public async Task InitializeAsync()
    {
        // What model.tar.gz unpacks to: a manifest and the weights it names, here the demo model under its own version.
        var demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
        File.Copy(demo.ResolvePath(demo.Weights!), Path.Combine(ModelDirectory, "model.onnx"));
        await File.WriteAllTextAsync(Path.Combine(ModelDirectory, "manifest.json"), (demo with { Version = "sagemaker-7", Weights = "model.onnx", Golden = [] }).ToJson());
        Api = await ApiProcess.StartAsync(Environment(ModelDirectory, Port), arguments: ["serve"]);
        await Api.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        Directory.Delete(ModelDirectory, recursive: true);
    }
}
