using System.Net;
using System.Net.Http.Headers;
using Inference.Api.Tests.Support;
using Inference.DemoModel;
using Inference.Testing;
using Inference.Testing.Hostile;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Api.Tests;

/// <summary>Bad input never hurts the service: each gets a clear problem+json with the right status, and the next request is served.</summary>
public sealed class ErrorResponseTests : IAsyncLifetime
{
    private const int BodyLimit = 256 * 1024;
    private readonly ServiceHost _service = new(new Dictionary<string, string?>
    {
        ["Limits:MaxBodyBytes"] = BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Limits:MaxImagesPerRequest"] = "3",
        ["Limits:MaxPixels"] = "4000000",
    });

    private HttpClient Client => _service.Client;

    public async Task InitializeAsync() => await _service.StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    public static TheoryData<string, byte[], string, HttpStatusCode, string> BadImages()
    {
        var png = DemoModelFiles.GoldenScene().RenderPng();
        return new()
        {
            { "empty body", [], "image/png", HttpStatusCode.BadRequest, "not-an-image" },
            { "text", "hello, I am not a picture"u8.ToArray(), "image/jpeg", HttpStatusCode.BadRequest, "not-an-image" },
            { "truncated PNG", png[..(png.Length / 2)], "image/png", HttpStatusCode.UnprocessableEntity, "corrupt-image" },
            { "bomb header", TestImages.PngHeaderOnly(100_000, 100_000), "image/png", HttpStatusCode.UnprocessableEntity, "image-too-large" },
            { "over the pixel limit", TestImages.Png(new Image<Rgb24>(2100, 2000)), "image/png", HttpStatusCode.UnprocessableEntity, "image-too-large" },
            { "HEIC", [0, 0, 0, 24, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8], "image/heic", HttpStatusCode.UnsupportedMediaType, "unsupported-image" },
            { "3000-scan progressive JPEG", HostileCorpus.ProgressiveScanFlood(1000, 1000, 3000), "image/jpeg", HttpStatusCode.UnprocessableEntity, "image-too-complex" },
        };
    }

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task A_bad_image_gets_a_problem_naming_the_reason(string name, byte[] body, string contentType, HttpStatusCode status, string code)
    {
        using var response = await Client.PostAsync("/v1/detect", Requests.Raw(body, contentType));

        await AssertProblem(response, status, code, name);
        await AssertStillServing();
    }

    [Fact]
    public async Task A_bad_image_among_several_is_named_by_its_position()
    {
        var good = DemoModelFiles.GoldenScene().RenderPng();

        using var response = await Client.PostAsync("/v1/detect", Requests.Multipart([good, "junk"u8.ToArray(), good]));

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, "not-an-image", "second part");
        Assert.Equal(1, problem.ImageIndex);
        Assert.StartsWith("Image 1:", problem.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task An_unsupported_content_type_is_415_listing_what_is_accepted(string contentType)
    {
        var content = new ByteArrayContent("x=1"u8.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        using var response = await Client.PostAsync("/v1/detect", content);

        var problem = await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type", contentType);
        Assert.Contains("multipart/form-data", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_without_a_content_type_is_415()
    {
        var content = new ByteArrayContent(DemoModelFiles.GoldenScene().RenderPng());

        using var response = await Client.PostAsync("/v1/detect", content);

        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type", "no content type");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_before_it_is_read()
    {
        using var response = await Client.PostAsync("/v1/detect", Requests.Raw(new byte[BodyLimit + 1]));

        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large", "declared length");
        await AssertStillServing();
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413_while_it_is_read()
    {
        var content = new StreamContent(new MemoryStream(new byte[BodyLimit * 2]));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await Client.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large", "chunked");
        await AssertStillServing();
    }

    [Fact]
    public async Task Too_many_images_is_413()
    {
        var png = DemoModelFiles.GoldenScene().RenderPng();

        using var response = await Client.PostAsync("/v1/detect", Requests.Multipart([png, png, png, png]));

        var problem = await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "too-many-images", "four images");
        Assert.Contains("at most 3", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_multipart_body_without_an_image_part_is_400()
    {
        using var response = await Client.PostAsync("/v1/detect", Requests.Multipart([DemoModelFiles.GoldenScene().RenderPng()], field: "picture"));

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, "malformed-body", "wrong field");
        Assert.Contains("picture", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_multipart_body_is_400()
    {
        var content = new ByteArrayContent("--x\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=x");

        using var response = await Client.PostAsync("/v1/detect", content);

        await AssertProblem(response, HttpStatusCode.BadRequest, "malformed-body", "truncated multipart");
        await AssertStillServing();
    }

    [Theory]
    [InlineData("confidence=2", "confidence")]
    [InlineData("confidence=abc", "confidence")]
    [InlineData("confidence=NaN", "confidence")]
    [InlineData("iou=0", "iou")]
    [InlineData("iou=1.5", "iou")]
    [InlineData("max_detections=0", "max_detections")]
    [InlineData("max_detections=ten", "max_detections")]
    [InlineData("agnostic=maybe", "agnostic")]
    [InlineData("classes=purple", "classes")]
    [InlineData("classes=99", "classes")]
    [InlineData("confidence=0.5&confidence=0.6", "confidence")]
    public async Task A_bad_parameter_is_400_naming_it(string query, string parameter)
    {
        using var response = await Client.PostAsync($"/v1/detect?{query}", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng()));

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest, "invalid-parameters", query);
        Assert.True(problem.Errors!.ContainsKey(parameter), $"The errors name {string.Join(", ", problem.Errors.Keys)}, not {parameter}.");
        Assert.Contains(parameter, problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_answer_with_problem_details()
    {
        using var missing = await Client.GetAsync("/v2/nothing");
        using var wrongMethod = await Client.GetAsync("/v1/detect");

        var notFound = await AssertProblem(missing, HttpStatusCode.NotFound, "not-found", "unknown route");
        var notAllowed = await AssertProblem(wrongMethod, HttpStatusCode.MethodNotAllowed, "method-not-allowed", "GET on detect");

        Assert.Contains("/v2/nothing", notFound.Detail, StringComparison.Ordinal);
        Assert.Contains("GET", notAllowed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_id_is_404_naming_the_models_served()
    {
        using var response = await Client.PostAsync("/v1/models/nope/detect", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng()));

        var problem = await AssertProblem(response, HttpStatusCode.NotFound, "model-not-found", "unknown model");
        Assert.Contains("'default'", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_parts_than_images_allowed_is_413_too_many_images_however_many_parts_come()
    {
        var png = DemoModelFiles.GoldenScene().RenderPng();

        using var response = await Client.PostAsync("/v1/detect", Requests.Multipart(Enumerable.Repeat(png, 40)));

        await AssertProblem(response, HttpStatusCode.RequestEntityTooLarge, "too-many-images", "forty parts");
        await AssertStillServing();
    }

    [Fact]
    public async Task A_json_body_carries_base64_images_and_its_parameters()
    {
        var png = Convert.ToBase64String(DemoModelFiles.GoldenScene().RenderPng());

        using var one = await Client.PostAsync("/v1/detect", Json($$"""{"image": "{{png}}", "classes": ["red", "blue"]}"""));
        using var typed = await Client.PostAsync("/v1/detect", Json($$$"""{"image": {"type": "base64", "value": "data:image/png;base64,{{{png}}}"}}"""));
        using var list = await Client.PostAsync("/v1/detect", Json($$"""{"images": ["{{png}}"], "confidence": 0.5}"""));

        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(["blue", "red"], (await one.ReadAs<DetectAnswer>()).Detections.Select(d => d.Class).Order());
        Assert.Equal(4, (await typed.ReadAs<DetectAnswer>()).Detections.Count);
        Assert.Single(await list.ReadAs<DetectAnswer[]>());
    }

    [Theory]
    [InlineData("""{"image": {"type": "url", "value": "http://127.0.0.1/x.png"}}""", HttpStatusCode.BadRequest, "url-fetch-disabled")]
    [InlineData("""{"image": "%%%"}""", HttpStatusCode.BadRequest, "not-an-image")]
    [InlineData("""{"picture": "abc"}""", HttpStatusCode.BadRequest, "malformed-body")]
    [InlineData("""[1, 2]""", HttpStatusCode.BadRequest, "malformed-body")]
    [InlineData("""{"image": """, HttpStatusCode.BadRequest, "malformed-body")]
    [InlineData("""{"images": ["aGk=", "aGk=", "aGk=", "aGk="]}""", HttpStatusCode.RequestEntityTooLarge, "too-many-images")]
    public async Task A_bad_json_body_gets_a_problem_naming_what_is_wrong(string body, HttpStatusCode status, string code)
    {
        using var response = await Client.PostAsync("/v1/detect", Json(body));

        await AssertProblem(response, status, code, body);
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    /// <summary>Every error: problem+json, the right status, a code, a detail and the trace id.</summary>
    private static async Task<ProblemAnswer> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code, string because)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{because}: expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonSerializer.Deserialize<ProblemAnswer>(body, Support.Json.Options)!;
        Assert.Equal((int)status, problem.Status);
        Assert.False(string.IsNullOrWhiteSpace(problem.Title));
        Assert.Equal(code, problem.Code);
        Assert.Equal($"urn:inference:problem:{code}", problem.Type);
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail), $"{because}: no detail in {body}");
        Assert.Matches("^[0-9a-f]{32}$", problem.TraceId);
        return problem;
    }

    private async Task AssertStillServing()
    {
        using var response = await Client.PostAsync("/v1/detect", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
