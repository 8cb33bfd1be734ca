using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Inference.Api.Tests.Support;

namespace Inference.Api.Tests.Compat;

/// <summary>
/// Roboflow's clients as they really call: the inference SDK's <c>InferenceHTTPClient</c> in v0 mode (hosted API)
/// and v1 mode (inference server), and the hosted API's curl examples, with the exact headers, query and bodies
/// they send (inference_sdk/http/client.py and request_building.py).
/// </summary>
public sealed class RoboflowTests(CompatServiceFixture fixture) : IClassFixture<CompatServiceFixture>
{
    private const string ApiKey = "rf_test_key";
    private static readonly string Base64 = Convert.ToBase64String(CompatServiceFixture.Golden);

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task The_sdk_v0_call_gets_roboflow_predictions_matching_the_native_detections_field_by_field()
    {
        // v0: POST {api_url}/{project}/{version} with the legacy query (api_key, disable_active_learning, the configured
        // thresholds), Content-Type application/json, and the bare base64 string as the body.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/shapes-demo/2?api_key={ApiKey}&disable_active_learning=False&confidence=0.5&overlap=0.45")
        {
            Content = new StringContent(Base64, Encoding.UTF8, "application/json"),
        };

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<RoboflowAnswer>();
        await AssertMatchesNative(answer, "?confidence=0.5&iou=0.45");
        Assert.True(Guid.TryParse(answer.InferenceId, out _));
        Assert.InRange(answer.Time, 0.0001, 30);
        var yellow = Assert.Single(answer.Predictions, p => p.Class == "yellow");
        Assert.Equal((484.5f, 468.5f, 81f, 141f, 3), (yellow.X, yellow.Y, yellow.Width, yellow.Height, yellow.ClassId));
        Assert.Equal(4, answer.Predictions.Select(p => p.DetectionId).Distinct().Count());
    }

    [Fact]
    public async Task The_hosted_curl_example_posts_base64_as_a_form_body_with_percent_thresholds()
    {
        // base64 image.png | curl -d @- "https://detect.roboflow.com/project/2?api_key=KEY&confidence=50&overlap=45":
        // curl -d sends application/x-www-form-urlencoded and strips the line breaks of base64's output.
        using var content = new StringContent(Base64, Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");

        using var response = await Client.PostAsync($"/shapes-demo/2?api_key={ApiKey}&confidence=50&overlap=45", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertMatchesNative(await response.ReadAs<RoboflowAnswer>(), "?confidence=0.5&iou=0.45");
    }

    [Fact]
    public async Task Base64_with_line_breaks_as_curl_data_binary_keeps_them_is_read_too()
    {
        var wrapped = string.Join('\n', Base64.Chunk(76).Select(c => new string(c))) + "\n";
        using var content = new StringContent(wrapped, Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");

        using var response = await Client.PostAsync("/shapes-demo/2", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, (await response.ReadAs<RoboflowAnswer>()).Predictions.Count);
    }

    [Fact]
    public async Task The_hosted_url_example_fetches_the_image_named_by_the_image_parameter()
    {
        // curl -X POST "https://detect.roboflow.com/project/2?api_key=KEY&image=https%3A%2F%2F…"
        var url = Uri.EscapeDataString(fixture.Images.Image("golden.png").ToString());

        using var response = await Client.PostAsync($"/shapes-demo/2?api_key={ApiKey}&image={url}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertMatchesNative(await response.ReadAs<RoboflowAnswer>());
    }

    [Fact]
    public async Task A_multipart_file_part_is_the_image_as_the_inference_server_reads_it()
    {
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(CompatServiceFixture.Golden);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(part, "file", "golden.png");

        using var response = await Client.PostAsync($"/{CompatServiceFixture.Alias}?confidence=40", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertMatchesNative(await response.ReadAs<RoboflowAnswer>(), "?confidence=0.4");
    }

    [Fact]
    public async Task Percent_and_fraction_thresholds_give_the_same_answer()
    {
        var percent = await HostedAsync("?confidence=99.9&overlap=45");
        var fraction = await HostedAsync("?confidence=0.999&overlap=0.45");

        Assert.Equal(percent.Predictions.Select(p => (p.Class, p.X, p.Y)), fraction.Predictions.Select(p => (p.Class, p.X, p.Y)));
    }

    [Fact]
    public async Task The_sdk_v1_flow_reads_the_registry_adds_the_model_then_infers_a_list()
    {
        // v1: GET /model/registry?api_key=…, then POST /model/add {"model_id", "api_key"} when the id is not listed,
        // then POST /infer/object_detection with the image(s) and its object-detection parameters in the JSON body.
        using var registry = await Client.GetAsync($"/model/registry?api_key={ApiKey}");
        var listed = await registry.ReadAs<JsonElement>();
        var model = Assert.Single(listed.GetProperty("models").EnumerateArray(), m => m.GetProperty("model_id").GetString() == "shapes-demo/2");
        Assert.Equal("object-detection", model.GetProperty("task_type").GetString());
        Assert.Equal((640, 640), (model.GetProperty("input_height").GetInt32(), model.GetProperty("input_width").GetInt32()));
        Assert.Contains(listed.GetProperty("models").EnumerateArray(), m => m.GetProperty("model_id").GetString() == CompatServiceFixture.Alias);

        using var add = await Client.PostAsync("/model/add", Json(new { model_id = "default/2", api_key = ApiKey }));
        Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        Assert.Contains((await add.ReadAs<JsonElement>()).GetProperty("models").EnumerateArray(), m => m.GetProperty("model_id").GetString() == "default/2");

        using var infer = await Client.PostAsync("/infer/object_detection", Json(new
        {
            api_key = ApiKey,
            model_id = "default/2",
            image = new[] { new { type = "base64", value = Base64 }, new { type = "url", value = fixture.Images.Image("golden.png").ToString() } },
            confidence = 0.5,
            iou_threshold = 0.45,
            class_agnostic_nms = false,
            max_detections = 300,
            visualize_predictions = false,
            disable_active_learning = false,
            source = "inference-sdk",
        }));

        Assert.Equal(HttpStatusCode.OK, infer.StatusCode);
        var answers = await infer.ReadAs<List<RoboflowAnswer>>();
        Assert.Equal(2, answers.Count);
        foreach (var answer in answers)
        {
            await AssertMatchesNative(answer, "?confidence=0.5&iou=0.45");
        }
    }

    [Fact]
    public async Task One_image_object_is_answered_with_one_object_and_class_filter_keeps_named_classes()
    {
        using var infer = await Client.PostAsync("/infer/object_detection", Json(new
        {
            model_id = CompatServiceFixture.Alias,
            image = new { type = "base64", value = Base64 },
            class_filter = new[] { "red", "blue" },
        }));

        Assert.Equal(HttpStatusCode.OK, infer.StatusCode);
        var answer = await infer.ReadAs<RoboflowAnswer>();
        Assert.Equal(["blue", "red"], answer.Predictions.Select(p => p.Class).Order());
    }

    [Fact]
    public async Task Format_image_answers_the_annotated_jpeg_as_the_hosted_api_does()
    {
        using var content = new StringContent(Base64, Encoding.ASCII, "application/x-www-form-urlencoded");

        using var response = await Client.PostAsync($"/shapes-demo/2?api_key={ApiKey}&format=image&stroke=3", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("4", response.Headers.GetValues("X-Detections").Single());
        AssertJpegOfGoldenSize(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Format_image_and_json_carries_the_same_predictions_and_the_drawing_as_base64()
    {
        var answer = await HostedAsync("?format=image_and_json&labels=false");

        await AssertMatchesNative(answer);
        AssertJpegOfGoldenSize(Convert.FromBase64String(answer.Visualization!));
        Assert.Null((await HostedAsync("")).Visualization);
    }

    [Fact]
    public async Task Visualize_predictions_adds_a_visualization_to_each_server_answer()
    {
        using var response = await Client.PostAsync("/infer/object_detection", Json(new
        {
            model_id = "shapes-demo/2",
            image = new[] { new { type = "base64", value = Base64 }, new { type = "base64", value = Base64 } },
            visualize_predictions = true,
            visualization_stroke_width = 2,
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answers = await response.ReadAs<List<RoboflowAnswer>>();
        Assert.Equal(2, answers.Count);
        Assert.All(answers, a => AssertJpegOfGoldenSize(Convert.FromBase64String(a.Visualization!)));
    }

    [Theory]
    [InlineData("/nope/1", "", HttpStatusCode.NotFound, "model-not-found")]
    [InlineData("/shapes-demo/3", "", HttpStatusCode.NotFound, "model-not-found")]
    [InlineData("/shapes-demo/2", "?confidance=50", HttpStatusCode.BadRequest, "invalid-parameters")]
    [InlineData("/shapes-demo/2", "?confidence=250", HttpStatusCode.BadRequest, "invalid-parameters")]
    [InlineData("/shapes-demo/2", "?confidence=best", HttpStatusCode.BadRequest, "invalid-parameters")]
    [InlineData("/shapes-demo/2", "?format=svg", HttpStatusCode.BadRequest, "invalid-parameters")]
    [InlineData("/shapes-demo/2", "?format=image&stroke=0", HttpStatusCode.BadRequest, "invalid-parameters")]
    [InlineData("/shapes-demo/2", "?disable_preproc_auto_orient=true", HttpStatusCode.BadRequest, "invalid-parameters")]
    [InlineData("/shapes-demo/2", "?image_type=numpy", HttpStatusCode.BadRequest, "invalid-parameters")]
    public async Task A_hosted_request_this_service_cannot_honour_gets_a_problem(string path, string query, HttpStatusCode status, string code)
    {
        using var content = new StringContent(Base64, Encoding.ASCII, "application/x-www-form-urlencoded");

        using var response = await Client.PostAsync(path + query, content);

        var problem = await AssertProblem(response, status, code);
        if (query.Contains("confidance", StringComparison.Ordinal))
        {
            Assert.Contains("did you mean 'confidence'?", problem.Errors!["confidance"][0], StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"image": {"type": "base64", "value": "aGk="}}""", HttpStatusCode.BadRequest, "malformed-body")]
    [InlineData("""{"model_id": "nope/1", "image": {"type": "base64", "value": "aGk="}}""", HttpStatusCode.NotFound, "model-not-found")]
    [InlineData("""{"model_id": "shapes-demo/2", "image": {"type": "numpy", "value": "aGk="}}""", HttpStatusCode.BadRequest, "malformed-body")]
    [InlineData("""{"model_id": "shapes-demo/2", "image": {"type": "base64", "value": "GOLDEN"}, "visualize_predictions": "maybe"}""", HttpStatusCode.BadRequest, "invalid-parameters")]
    [InlineData("""{"model_id": "shapes-demo/2", "image": {"type": "base64", "value": "GOLDEN"}, "iou_treshold": 0.5}""", HttpStatusCode.BadRequest, "invalid-parameters")]
    [InlineData("""{"model_id": "shapes-demo/2", "image": {"type": "base64", "value": "GOLDEN"}, "confidence": 40}""", HttpStatusCode.BadRequest, "invalid-parameters")]
    public async Task An_inference_server_request_this_service_cannot_honour_gets_a_problem(string body, HttpStatusCode status, string code)
    {
        using var content = new StringContent(body.Replace("GOLDEN", Base64, StringComparison.Ordinal), Encoding.UTF8, "application/json");

        using var response = await Client.PostAsync("/infer/object_detection", content);

        await AssertProblem(response, status, code);
    }

    private static void AssertJpegOfGoldenSize(byte[] encoded)
    {
        var info = SixLabors.ImageSharp.Image.Identify(encoded, out var decodedFormat);
        Assert.Equal("JPEG", decodedFormat?.Name);
        Assert.Equal((640, 640), (info.Width, info.Height));
    }

    private async Task<RoboflowAnswer> HostedAsync(string query)
    {
        using var content = new StringContent(Base64, Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await Client.PostAsync($"/shapes-demo/2{query}", content);
        response.EnsureSuccessStatusCode();
        return await response.ReadAs<RoboflowAnswer>();
    }

    /// <summary>Every prediction is a native detection: centre and size from its box, the same score, class and id.</summary>
    private async Task AssertMatchesNative(RoboflowAnswer answer, string nativeQuery = "")
    {
        var native = await fixture.NativeAsync(nativeQuery);
        Assert.Equal((native.Image.Width, native.Image.Height), (answer.Image.Width, answer.Image.Height));
        Assert.Equal(native.Detections.Count, answer.Predictions.Count);
        foreach (var (expected, actual) in native.Detections.Zip(answer.Predictions))
        {
            Assert.Equal((expected.Class, expected.ClassId), (actual.Class, actual.ClassId));
            Assert.Equal(expected.Confidence, actual.Confidence, 4);
            Assert.Equal((expected.Box.X1 + expected.Box.X2) / 2, actual.X, 2);
            Assert.Equal((expected.Box.Y1 + expected.Box.Y2) / 2, actual.Y, 2);
            Assert.Equal(expected.Box.X2 - expected.Box.X1, actual.Width, 2);
            Assert.Equal(expected.Box.Y2 - expected.Box.Y1, actual.Height, 2);
            Assert.True(Guid.TryParse(actual.DetectionId, out _));
        }
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    internal static async Task<ProblemAnswer> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<ProblemAnswer>(body, Support.Json.Options)!;
        Assert.Equal(code, problem.Code);
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail));
        Assert.Matches("^[0-9a-f]{32}$", problem.TraceId);
        return problem;
    }
}
