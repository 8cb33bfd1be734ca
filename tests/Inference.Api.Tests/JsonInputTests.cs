using System.Net;
using System.Text;
using Inference.Api.Tests.Compat;
using Inference.Api.Tests.Support;

namespace Inference.Api.Tests;

/// <summary>JSON bodies on the native route, images by URL from a real image host, and parameters nobody reads named as errors.</summary>
public sealed class JsonInputTests(CompatServiceFixture fixture) : IClassFixture<CompatServiceFixture>
{
    private static readonly string Base64 = Convert.ToBase64String(CompatServiceFixture.Golden);

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task An_image_by_url_is_fetched_and_detected_as_if_posted()
    {
        using var response = await Client.PostAsync("/v1/detect", Json($$$"""{"image": {"type": "url", "value": "{{{fixture.Images.Image("golden.png")}}}"}, "confidence": 0.5}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<DetectAnswer>();
        var native = await fixture.NativeAsync("?confidence=0.5");
        Assert.Equal(native.Detections.Select(d => (d.Class, d.Box)), answer.Detections.Select(d => (d.Class, d.Box)));
    }

    [Fact]
    public async Task A_list_mixing_base64_and_urls_is_answered_as_a_list_in_order()
    {
        using var response = await Client.PostAsync("/v1/detect", Json($$$"""{"image": [{"type": "base64", "value": "{{{Base64}}}"}, {"type": "url", "value": "{{{fixture.Images.Image("golden.png")}}}"}], "classes": ["red"]}"""));

        var answers = await response.ReadAs<List<DetectAnswer>>();
        Assert.Equal(["red", "red"], answers.Select(a => Assert.Single(a.Detections).Class));
    }

    [Fact]
    public async Task A_refused_url_among_several_is_named_by_its_position()
    {
        var elsewhere = $"http://localhost:{fixture.Images.Port}/images/golden.png";

        using var response = await Client.PostAsync("/v1/detect", Json($$$"""{"images": ["{{{Base64}}}", {"type": "url", "value": "{{{elsewhere}}}"}]}"""));

        var problem = await RoboflowTests.AssertProblem(response, HttpStatusCode.Forbidden, "url-host-not-allowed");
        Assert.Equal(1, problem.ImageIndex);
        Assert.Contains("'localhost'", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_url_the_host_does_not_have_is_a_502_naming_the_status()
    {
        using var response = await Client.PostAsync("/v1/detect", Json($$$"""{"image": {"type": "url", "value": "{{{fixture.Images.Image("missing.png")}}}"}}"""));

        var problem = await RoboflowTests.AssertProblem(response, HttpStatusCode.BadGateway, "url-fetch-failed");
        Assert.Contains("404", problem.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("query")]
    [InlineData("form")]
    [InlineData("json")]
    public async Task A_misspelt_or_foreign_parameter_is_named_wherever_it_comes(string where)
    {
        using HttpContent content = where switch
        {
            "form" => Requests.Multipart([CompatServiceFixture.Golden], new Dictionary<string, string> { ["confidance"] = "0.5", ["overlap"] = "30" }),
            "json" => Json($$$"""{"image": "{{{Base64}}}", "confidance": 0.5, "overlap": 30}"""),
            _ => Requests.Raw(CompatServiceFixture.Golden),
        };

        using var response = await Client.PostAsync(where == "query" ? "/v1/detect?confidance=0.5&overlap=30" : "/v1/detect", content);

        var problem = await RoboflowTests.AssertProblem(response, HttpStatusCode.BadRequest, "invalid-parameters");
        Assert.Equal(["confidance", "overlap"], problem.Errors!.Keys.Order());
        Assert.Contains("did you mean 'confidence'?", problem.Errors["confidance"][0], StringComparison.Ordinal);
        Assert.Contains("use iou (0-1) here", problem.Errors["overlap"][0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_api_key_parameter_is_not_an_unknown_one_when_keys_are_off()
    {
        using var response = await Client.PostAsync("/v1/detect?api_key=anything", Requests.Raw(CompatServiceFixture.Golden));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
