using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Inference.Api.Tests.Support;

namespace Inference.Api.Tests.Compat;

/// <summary>
/// The Open Inference Protocol v2 as KServe's REST examples and Triton's HTTP client call it: health, metadata, JSON
/// inference with BYTES as base64 strings, and the binary tensor extension with 4-byte length-prefixed elements.
/// </summary>
public sealed class OpenInferenceTests(CompatServiceFixture fixture) : IClassFixture<CompatServiceFixture>
{
    private static readonly string Base64 = Convert.ToBase64String(CompatServiceFixture.Golden);

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Server_health_and_metadata_answer_as_the_protocol_defines()
    {
        var metadata = await GetJsonAsync("/v2");
        var live = await GetJsonAsync("/v2/health/live");
        var ready = await GetJsonAsync("/v2/health/ready");

        Assert.Equal("inference", metadata.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(metadata.GetProperty("version").GetString()));
        Assert.Equal(["binary_tensor_data"], metadata.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        Assert.True(live.GetProperty("live").GetBoolean());
        Assert.True(ready.GetProperty("ready").GetBoolean());
    }

    [Theory]
    [InlineData("/v2/models/default")]
    [InlineData("/v2/models/shapes-demo")]
    [InlineData("/v2/models/shapes-demo/versions/2")]
    public async Task Model_metadata_declares_the_bytes_input_and_the_four_detection_outputs(string path)
    {
        var metadata = await GetJsonAsync(path);
        var ready = await GetJsonAsync(path + "/ready");

        Assert.Equal(path.Split('/')[3], metadata.GetProperty("name").GetString());
        Assert.Equal(["2"], metadata.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("onnxruntime_onnx", metadata.GetProperty("platform").GetString());
        Assert.Equal(["images:BYTES:-1"], Tensors(metadata.GetProperty("inputs")));
        Assert.Equal(["boxes:FP32:-1,-1,4", "scores:FP32:-1,-1", "classes:INT32:-1,-1", "count:INT32:-1"], Tensors(metadata.GetProperty("outputs")));
        Assert.True(ready.GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task A_json_infer_request_gets_padded_detection_tensors_matching_the_native_answer()
    {
        // KServe's REST example shape, with the image as a base64 BYTES element; two images, shape [2, 1].
        using var response = await Client.PostAsync("/v2/models/shapes-demo/versions/2/infer", Json($$"""
            {
              "id": "42",
              "parameters": {"confidence": 0.5, "classes": "red,yellow"},
              "inputs": [{"name": "images", "shape": [2, 1], "datatype": "BYTES", "data": [["{{Base64}}"], ["{{Base64}}"]]}],
              "outputs": [{"name": "count"}, {"name": "boxes"}, {"name": "scores"}, {"name": "classes"}]
            }
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.ReadAs<JsonElement>();
        Assert.Equal(("shapes-demo", "2", "42"), (body.GetProperty("model_name").GetString(), body.GetProperty("model_version").GetString(), body.GetProperty("id").GetString()));
        var outputs = body.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);
        Assert.Equal(["count", "boxes", "scores", "classes"], body.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
        var native = await fixture.NativeAsync("?confidence=0.5&classes=red,yellow");
        var k = native.Detections.Count;
        Assert.Equal([2, k, 4], Shape(outputs["boxes"]));
        Assert.Equal([2], Shape(outputs["count"]));
        Assert.Equal([k, k], outputs["count"].GetProperty("data").EnumerateArray().Select(v => v.GetInt32()));
        AssertTensorsMatch(native, Floats(outputs["boxes"]), Floats(outputs["scores"]), outputs["classes"].GetProperty("data").EnumerateArray().Select(v => v.GetInt32()).ToArray(), images: 2);
    }

    [Fact]
    public async Task The_binary_tensor_extension_carries_images_in_and_tensors_out()
    {
        // What tritonclient.http sends for InferInput("images", [1], "BYTES") set from numpy with binary_data=True and
        // InferRequestedOutput(name, binary_data=True): a JSON header, then each element as a 4-byte LE length + bytes.
        var element = new byte[4 + CompatServiceFixture.Golden.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(element, (uint)CompatServiceFixture.Golden.Length);
        CompatServiceFixture.Golden.CopyTo(element, 4);
        var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            inputs = new[] { new { name = "images", shape = new[] { 1 }, datatype = "BYTES", parameters = new { binary_data_size = element.Length } } },
            outputs = new object[] { new { name = "boxes", parameters = new { binary_data = true } }, new { name = "scores", parameters = new { binary_data = true } }, new { name = "classes", parameters = new { binary_data = true } }, new { name = "count", parameters = new { binary_data = false } } },
        }));
        using var content = new ByteArrayContent([.. header, .. element]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await Client.PostAsync("/v2/models/default/infer", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var jsonLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var json = JsonDocument.Parse(bytes.AsMemory(0, jsonLength)).RootElement;
        var outputs = json.GetProperty("outputs").EnumerateArray().ToList();
        var offset = jsonLength;
        var binary = new Dictionary<string, byte[]>();
        foreach (var output in outputs.Where(o => o.TryGetProperty("parameters", out _)))
        {
            var size = output.GetProperty("parameters").GetProperty("binary_data_size").GetInt32();
            Assert.False(output.TryGetProperty("data", out _));
            binary[output.GetProperty("name").GetString()!] = bytes[offset..(offset + size)];
            offset += size;
        }

        Assert.Equal(bytes.Length, offset);
        var native = await fixture.NativeAsync();
        var count = outputs.Single(o => o.GetProperty("name").GetString() == "count").GetProperty("data")[0].GetInt32();
        Assert.Equal(native.Detections.Count, count);
        AssertTensorsMatch(native, FloatsLe(binary["boxes"]), FloatsLe(binary["scores"]), IntsLe(binary["classes"]), images: 1);
    }

    [Theory]
    [InlineData("/v2/models/nope/infer", """{"inputs": [{"name": "images", "shape": [1], "datatype": "BYTES", "data": ["GOLDEN"]}]}""", HttpStatusCode.NotFound, "model-not-found")]
    [InlineData("/v2/models/shapes-demo/versions/9/infer", """{"inputs": [{"name": "images", "shape": [1], "datatype": "BYTES", "data": ["GOLDEN"]}]}""", HttpStatusCode.NotFound, "model-version-not-found")]
    [InlineData("/v2/models/default/infer", """{"inputs": [{"name": "input-0", "shape": [1], "datatype": "BYTES", "data": ["GOLDEN"]}]}""", HttpStatusCode.BadRequest, "malformed-body")]
    [InlineData("/v2/models/default/infer", """{"inputs": [{"name": "images", "shape": [1, 3, 640, 640], "datatype": "FP32", "data": [0]}]}""", HttpStatusCode.BadRequest, "malformed-body")]
    [InlineData("/v2/models/default/infer", """{"inputs": [{"name": "images", "shape": [2], "datatype": "BYTES", "data": ["GOLDEN"]}]}""", HttpStatusCode.BadRequest, "malformed-body")]
    [InlineData("/v2/models/default/infer", """{"inputs": [{"name": "images", "shape": [1], "datatype": "BYTES", "data": ["GOLDEN"]}], "parameters": {"confidance": 0.5}}""", HttpStatusCode.BadRequest, "invalid-parameters")]
    [InlineData("/v2/models/default/infer", """{"inputs": [{"name": "images", "shape": [1], "datatype": "BYTES", "data": ["aGVsbG8="]}]}""", HttpStatusCode.BadRequest, "not-an-image")]
    [InlineData("/v2/models/default/infer", """{"inputs": [{"name": "images", "shape": [1], "datatype": "BYTES", "data": ["GOLDEN"]}], "outputs": [{"name": "masks"}]}""", HttpStatusCode.BadRequest, "malformed-body")]
    public async Task Errors_use_the_protocols_error_object_with_the_problem_code(string path, string body, HttpStatusCode status, string code)
    {
        using var response = await Client.PostAsync(path, Json(body.Replace("GOLDEN", Base64, StringComparison.Ordinal)));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement;
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
        Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_binary_request_whose_sizes_disagree_is_refused()
    {
        var header = Encoding.UTF8.GetBytes("""{"inputs": [{"name": "images", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": 100}}]}""");
        using var content = new ByteArrayContent([.. header, 5, 0, 0, 0, 1, 2]);
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await Client.PostAsync("/v2/models/default/infer", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("binary_data_size", (await response.ReadAs<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Image by image, the first count slots are the native detections in order; the rest is padding.</summary>
    private static void AssertTensorsMatch(DetectAnswer native, float[] boxes, float[] scores, int[] classes, int images)
    {
        var k = native.Detections.Count;
        Assert.Equal(images * k * 4, boxes.Length);
        for (var image = 0; image < images; image++)
        {
            for (var j = 0; j < k; j++)
            {
                var expected = native.Detections[j];
                var slot = (image * k) + j;
                Assert.Equal(expected.ClassId, classes[slot]);
                Assert.Equal(expected.Confidence, scores[slot], 4);
                Assert.Equal([expected.Box.X1, expected.Box.Y1, expected.Box.X2, expected.Box.Y2], boxes[(slot * 4)..((slot * 4) + 4)]);
            }
        }
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadAs<JsonElement>();
    }

    private static string[] Tensors(JsonElement list) =>
        [.. list.EnumerateArray().Select(t => $"{t.GetProperty("name").GetString()}:{t.GetProperty("datatype").GetString()}:{string.Join(',', t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()))}")];

    private static long[] Shape(JsonElement output) => [.. output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];

    private static float[] Floats(JsonElement output) => [.. output.GetProperty("data").EnumerateArray().Select(v => v.GetSingle())];

    private static float[] FloatsLe(byte[] bytes) => [.. Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4)))];

    private static int[] IntsLe(byte[] bytes) => [.. Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4)))];

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
