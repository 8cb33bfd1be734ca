using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Inference.Api.Tests.Support;
using Inference.Testing;

namespace Inference.Api.Tests.Compat;

/// <summary>
/// YOLOX-Nano on the fixture photos through every front end gives what <c>/v1/detect</c> gives: the Roboflow hosted
/// API and inference server, SageMaker's /invocations, the Open Inference Protocol in JSON and binary form, and
/// images fetched by URL.
/// </summary>
public sealed class YoloxEveryRouteTests : IAsyncLifetime
{
    private static readonly string[] Photos = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"];
    private readonly string _directory = Directory.CreateTempSubdirectory("yolox-compat-").FullName;
    private ServiceHost? _service;
    private ImageHost? _images;
    private Dictionary<string, byte[]> _photos = [];

    public async Task InitializeAsync()
    {
        if (!YoloxFixture.Available)
        {
            return;
        }

        _photos = Photos.ToDictionary(p => p, p => File.ReadAllBytes(YoloxFixture.Photo(p)));
        _images = await ImageHost.StartAsync(_photos);
        var manifest = YoloxFixture.Manifest() with { Weights = Path.Combine(YoloxFixture.ModelDirectory, YoloxFixture.DynamicModel) };
        var path = Path.Combine(_directory, "manifest.json");
        await File.WriteAllTextAsync(path, manifest.ToJson());
        _service = await new ServiceHost(new Dictionary<string, string?>
        {
            ["Model:Manifest"] = path,
            ["Batching:MaxBatchSize"] = "4",
            ["Inputs:AllowUrlFetch"] = "true",
            ["Inputs:AllowedHosts:0"] = "127.0.0.1",
            ["Inputs:AllowedNetworks:0"] = "127.0.0.1/32",
        }).StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        if (_images is not null)
        {
            await _images.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [SkippableFact]
    public async Task Every_route_finds_what_v1_detect_finds_on_the_fixture_photos()
    {
        Skip.If(_service is null, YoloxFixture.SkipReason);
        var client = _service!.Client;
        var reference = new List<Found[]>();
        foreach (var photo in Photos)
        {
            using var native = await client.PostAsync("/v1/detect", Requests.Raw(_photos[photo], photo.EndsWith(".jpg", StringComparison.Ordinal) ? "image/jpeg" : "image/png"));
            reference.Add(FromNative(await native.ReadAs<DetectAnswer>()));
        }

        Assert.Equal([1, 1, 2, 0], reference.Select(r => r.Length));

        var routes = new Dictionary<string, IReadOnlyList<Found[]>>
        {
            ["roboflow hosted"] = await HostedAsync(client),
            ["roboflow inference server"] = await InferenceServerAsync(client),
            ["sagemaker"] = await SageMakerAsync(client),
            ["open inference json"] = await OpenInferenceJsonAsync(client),
            ["open inference binary"] = await OpenInferenceBinaryAsync(client),
            ["v1 json by url"] = await ByUrlAsync(client),
        };

        foreach (var (route, found) in routes)
        {
            Assert.Equal(Photos.Length, found.Count);
            for (var i = 0; i < Photos.Length; i++)
            {
                AssertSame(reference[i], found[i], $"{route}, {Photos[i]}");
            }
        }
    }

    private async Task<IReadOnlyList<Found[]>> HostedAsync(HttpClient client)
    {
        var found = new List<Found[]>();
        foreach (var photo in Photos)
        {
            using var content = new StringContent(Convert.ToBase64String(_photos[photo]), Encoding.ASCII, "application/x-www-form-urlencoded");
            using var response = await client.PostAsync("/yolox-nano/0.1.1rc0?api_key=unused", content);
            found.Add(FromRoboflow(await response.ReadAs<RoboflowAnswer>()));
        }

        return found;
    }

    private async Task<IReadOnlyList<Found[]>> InferenceServerAsync(HttpClient client)
    {
        var body = JsonSerializer.Serialize(new { model_id = "yolox-nano/0.1.1rc0", image = Photos.Select(p => new { type = "base64", value = Convert.ToBase64String(_photos[p]) }) });
        using var response = await client.PostAsync("/infer/object_detection", new StringContent(body, Encoding.UTF8, "application/json"));
        return [.. (await response.ReadAs<List<RoboflowAnswer>>()).Select(FromRoboflow)];
    }

    private async Task<IReadOnlyList<Found[]>> SageMakerAsync(HttpClient client)
    {
        var found = new List<Found[]>();
        foreach (var photo in Photos)
        {
            var content = new ByteArrayContent(_photos[photo]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-image");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/invocations") { Content = content };
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await client.SendAsync(request);
            found.Add(FromNative(await response.ReadAs<DetectAnswer>()));
        }

        return found;
    }

    private async Task<IReadOnlyList<Found[]>> OpenInferenceJsonAsync(HttpClient client)
    {
        var body = JsonSerializer.Serialize(new { inputs = new[] { new { name = "images", shape = new[] { Photos.Length }, datatype = "BYTES", data = Photos.Select(p => Convert.ToBase64String(_photos[p])) } } });
        using var response = await client.PostAsync("/v2/models/yolox-nano/infer", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outputs = (await response.ReadAs<JsonElement>()).GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("data"));
        return FromTensors(
            [.. outputs["boxes"].EnumerateArray().Select(v => v.GetSingle())],
            [.. outputs["scores"].EnumerateArray().Select(v => v.GetSingle())],
            [.. outputs["classes"].EnumerateArray().Select(v => v.GetInt32())],
            [.. outputs["count"].EnumerateArray().Select(v => v.GetInt32())]);
    }

    private async Task<IReadOnlyList<Found[]>> OpenInferenceBinaryAsync(HttpClient client)
    {
        var data = new List<byte>();
        foreach (var photo in Photos)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)_photos[photo].Length);
            data.AddRange(length);
            data.AddRange(_photos[photo]);
        }

        var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            inputs = new[] { new { name = "images", shape = new[] { Photos.Length, 1 }, datatype = "BYTES", parameters = new { binary_data_size = data.Count } } },
            parameters = new { binary_data_output = true },
        }));
        using var content = new ByteArrayContent([.. header, .. data]);
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await client.PostAsync("/v2/models/yolox-nano/versions/0.1.1rc0/infer", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var offset = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var tensors = new Dictionary<string, byte[]>();
        foreach (var output in JsonDocument.Parse(bytes.AsMemory(0, offset)).RootElement.GetProperty("outputs").EnumerateArray())
        {
            var size = output.GetProperty("parameters").GetProperty("binary_data_size").GetInt32();
            tensors[output.GetProperty("name").GetString()!] = bytes[offset..(offset + size)];
            offset += size;
        }

        static float[] Floats(byte[] b) => [.. Enumerable.Range(0, b.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(i * 4)))];
        static int[] Ints(byte[] b) => [.. Enumerable.Range(0, b.Length / 4).Select(i => BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(i * 4)))];
        return FromTensors(Floats(tensors["boxes"]), Floats(tensors["scores"]), Ints(tensors["classes"]), Ints(tensors["count"]));
    }

    private async Task<IReadOnlyList<Found[]>> ByUrlAsync(HttpClient client)
    {
        var body = JsonSerializer.Serialize(new { images = Photos.Select(p => new { type = "url", value = _images!.Image(p).ToString() }) });
        using var response = await client.PostAsync("/v1/detect", new StringContent(body, Encoding.UTF8, "application/json"));
        return [.. (await response.ReadAs<List<DetectAnswer>>()).Select(FromNative)];
    }

    private static Found[] FromNative(DetectAnswer answer) =>
        [.. answer.Detections.Select(d => new Found(d.ClassId, d.Confidence, d.Box.X1, d.Box.Y1, d.Box.X2, d.Box.Y2))];

    private static Found[] FromRoboflow(RoboflowAnswer answer) =>
        [.. answer.Predictions.Select(p => new Found(p.ClassId, p.Confidence, p.X - (p.Width / 2), p.Y - (p.Height / 2), p.X + (p.Width / 2), p.Y + (p.Height / 2)))];

    private static List<Found[]> FromTensors(float[] boxes, float[] scores, int[] classes, int[] counts)
    {
        var k = counts.Length == 0 ? 0 : scores.Length / counts.Length;
        return [.. counts.Select((count, image) => Enumerable.Range(0, count).Select(j =>
        {
            var slot = (image * k) + j;
            return new Found(classes[slot], scores[slot], boxes[slot * 4], boxes[(slot * 4) + 1], boxes[(slot * 4) + 2], boxes[(slot * 4) + 3]);
        }).ToArray())];
    }

    /// <summary>The same objects in the same order; a batch of four may round differently from a batch of one, hence the tolerances.</summary>
    private static void AssertSame(Found[] expected, Found[] actual, string because)
    {
        Assert.True(expected.Length == actual.Length, $"{because}: {expected.Length} objects expected, {actual.Length} found.");
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.True(e.ClassId == a.ClassId, $"{because}: class {e.ClassId} expected, {a.ClassId} found.");
            Assert.True(Math.Abs(e.Score - a.Score) < 1e-3, $"{because}: score {e.Score} expected, {a.Score} found.");
            Assert.True(new[] { e.X1 - a.X1, e.Y1 - a.Y1, e.X2 - a.X2, e.Y2 - a.Y2 }.All(d => Math.Abs(d) < 0.05f), $"{because}: box {e} expected, {a} found.");
        }
    }

    private sealed record Found(int ClassId, float Score, float X1, float Y1, float X2, float Y2);
}
