using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Inference.Api.Tests.Compat;
using Inference.Api.Tests.Support;
using Inference.DemoModel;
using Inference.Testing;

namespace Inference.Api.Tests;

/// <summary>API keys, configured as hashes: every key form accepted, refusals as 401 problems, probes and metrics open.</summary>
public sealed class ApiKeyTests(ApiKeyServiceFixture fixture) : IClassFixture<ApiKeyServiceFixture>
{
    private const string Key = ApiKeyServiceFixture.Key;
    private static readonly byte[] Png = DemoModelFiles.GoldenScene().RenderPng();

    private HttpClient Client => fixture.Service.Client;

    private ImageHost Images => fixture.Images;

    [Theory]
    [InlineData("bearer")]
    [InlineData("header")]
    [InlineData("query")]
    public async Task A_key_is_accepted_as_bearer_token_header_or_roboflow_query(string form)
    {
        using var request = Detect(form switch { "query" => $"/v1/detect?api_key={Key}", _ => "/v1/detect" });
        if (form == "bearer")
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        }
        else if (form == "header")
        {
            request.Headers.Add("X-Api-Key", Key);
        }

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null, "api-key-required")]
    [InlineData("s3cret-team-keY", "api-key-invalid")]
    [InlineData("", "api-key-required")]
    public async Task A_missing_or_wrong_key_is_a_401_problem_with_a_code(string? key, string code)
    {
        using var request = Detect("/v1/detect");
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        using var response = await Client.SendAsync(request);

        await RoboflowTests.AssertProblem(response, HttpStatusCode.Unauthorized, code);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/ping")]
    [InlineData("/metrics")]
    [InlineData("/v2/health/live")]
    [InlineData("/v2/health/ready")]
    [InlineData("/")]
    [InlineData("/ui/app.js")]
    [InlineData("/docs")]
    [InlineData("/openapi/v1.json")]
    public async Task Probes_metrics_the_demo_page_and_the_api_reference_need_no_key(string path)
    {
        using var response = await Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/v1/models/default")]
    [InlineData("/model/registry")]
    [InlineData("/execution-parameters")]
    public async Task Everything_else_needs_one(string path)
    {
        using var response = await Client.GetAsync(path);

        await RoboflowTests.AssertProblem(response, HttpStatusCode.Unauthorized, "api-key-required");
    }

    [Fact]
    public async Task The_open_inference_routes_refuse_in_the_protocols_error_shape()
    {
        using var response = await Client.GetAsync("/v2/models/default");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await response.ReadAs<JsonElement>();
        Assert.Equal("api-key-required", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task The_roboflow_v1_body_key_is_accepted_and_a_wrong_one_refused_before_any_url_is_fetched()
    {
        var image = new { type = "url", value = Images.Image("golden.png").ToString() };

        var before = Images.Hosts.Count;
        using var wrong = await Client.PostAsync("/infer/object_detection", Json(new { api_key = "guess", model_id = "shapes-demo/2", image }));
        var fetchedForWrong = Images.Hosts.Count - before;
        using var right = await Client.PostAsync("/infer/object_detection", Json(new { api_key = Key, model_id = "shapes-demo/2", image }));

        await RoboflowTests.AssertProblem(wrong, HttpStatusCode.Unauthorized, "api-key-invalid");
        Assert.Equal(0, fetchedForWrong);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(before + 1, Images.Hosts.Count);
    }

    [Fact]
    public async Task The_openapi_document_declares_401_where_a_key_is_checked()
    {
        using var response = await Client.GetAsync("/openapi/v1.json");
        var document = await response.ReadAs<JsonElement>();

        var detect = document.GetProperty("paths").GetProperty("/v1/detect").GetProperty("post");
        var live = document.GetProperty("paths").GetProperty("/health/live").GetProperty("get");
        Assert.Equal(["api_key_header", "api_key_query", "bearer"], detect.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).Order());
        Assert.DoesNotContain(detect.GetProperty("security").EnumerateArray(), r => !r.EnumerateObject().Any());
        Assert.True(detect.GetProperty("responses").TryGetProperty("401", out _));
        Assert.Equal(0, live.GetProperty("security").GetArrayLength());
    }

    [Fact]
    public async Task Keys_injected_as_one_variable_are_on_not_silently_skipped()
    {
        // ECS injects the secret as Auth__ApiKeys: a scalar, where the options hold a list.
        await using var service = await new ServiceHost(new Dictionary<string, string?> { ["Auth:ApiKeys"] = $"{ApiKeyServiceFixture.Hash("an-older-key")}, {ApiKeyServiceFixture.Hash(Key)}" }).StartAsync();

        using var without = await service.Client.GetAsync("/v1/models");
        using var with = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        with.Headers.Add("X-Api-Key", Key);
        using var accepted = await service.Client.SendAsync(with);

        await RoboflowTests.AssertProblem(without, HttpStatusCode.Unauthorized, "api-key-required");
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    private static HttpRequestMessage Detect(string path)
    {
        var content = new ByteArrayContent(Png);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}

public sealed class ApiKeyServiceFixture : IAsyncLifetime
{
    public const string Key = "s3cret-team-key";

    public ServiceHost Service { get; private set; } = null!;

    public ImageHost Images { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Images = await ImageHost.StartAsync(new Dictionary<string, byte[]> { ["golden.png"] = DemoModelFiles.GoldenScene().RenderPng() });
        Service = await new ServiceHost(new Dictionary<string, string?>
        {
            // Two keys, the way a secret injects them: one comma-separated value of hashes.
            ["Auth:ApiKeys:0"] = $"{Hash("an-older-key")},{Hash(Key)}",
            ["Inputs:AllowUrlFetch"] = "true",
            ["Inputs:AllowedHosts:0"] = "127.0.0.1",
            ["Inputs:AllowedNetworks:0"] = "127.0.0.1/32",
        }).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Service.DisposeAsync();
        await Images.DisposeAsync();
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
