using System.Text.Json;
using Amazon.S3.Model;
using Inference.DemoModel;
using Inference.Lambda.Preprocessing;
using Inference.Lambda.Runtime;
using Inference.Lambda.Tests.Support;
using Inference.Testing;
using Inference.Testing.Hostile;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp.Processing;

namespace Inference.Lambda.Tests;

/// <summary>
/// The preprocess handler between a real S3 server (radosgw) and a real service process: an upload is read by
/// version, oriented and shrunk by the service's decoder, detected by the service, and written back as JSON with boxes
/// in the upload's own upright pixels; bad images get a result with their problem, a service that is down fails the
/// invocation (for Lambda's retries and dead-letter queue), and results never trigger another round.
/// </summary>
public sealed class PreprocessHandlerTests : IClassFixture<PreprocessHandlerTests.DemoService>
{
    private readonly DemoService _service;

    public PreprocessHandlerTests(DemoService service) => _service = service;

    /// <summary>A 2400×1800 demo scene stored turned (EXIF orientation 6), as a phone held sideways writes it.</summary>
    private static (byte[] Jpeg, Scene Scene) SidewaysScene()
    {
        var scene = SceneGenerator.Random(7, 2400, 1800, 5);
        using var image = scene.Render();
        image.Mutate(x => x.Rotate(RotateMode.Rotate270));
        return (JpegSegments.WithOrientation(SkiaEncoding.Jpeg(image, quality: 95), 6), scene);
    }

    [SkippableFact]
    public async Task An_upload_is_oriented_shrunk_detected_by_the_service_and_written_in_its_own_upright_pixels()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var (jpeg, scene) = SidewaysScene();
        var uploaded = await S3TestServer.PutAsync(bucket, "uploads/phone photo.jpg", jpeg);
        await using var serving = Serving(_service.Api);

        var answer = await InvokeAsync(serving, S3Events.Created(bucket, ("uploads/phone photo.jpg", uploaded.VersionId, jpeg.Length)));
        var result = await ReadJsonAsync(bucket, "results/uploads/phone photo.jpg.detections.json");
        var direct = await ServiceDetectAsync(_service.Api, jpeg);

        Assert.Equal("detected", answer.GetProperty("results")[0].GetProperty("status").GetString());
        var source = result.GetProperty("source");
        Assert.Equal((2400, 1800, "JPEG", uploaded.VersionId), (source.GetProperty("width").GetInt32(), source.GetProperty("height").GetInt32(), source.GetProperty("format").GetString(), source.GetProperty("version_id").GetString()));
        var sent = result.GetProperty("sent");
        Assert.Equal((1280, 960), (sent.GetProperty("width").GetInt32(), sent.GetProperty("height").GetInt32()));
        Assert.True(sent.GetProperty("bytes").GetInt32() < jpeg.Length / 2, "The service was sent more than half the upload.");
        Assert.Equal("shapes-demo", result.GetProperty("model").GetProperty("name").GetString());

        // The same objects as the truth and as the service finds on the whole upload, in the upload's upright pixels.
        var found = Boxes(result.GetProperty("detections"));
        Assert.Equal(scene.Shapes.Count, found.Count);
        foreach (var shape in scene.Shapes)
        {
            Assert.Contains(found, f => f.Class == shape.ClassName && Near(f, (shape.Box.X1, shape.Box.Y1, shape.Box.X2, shape.Box.Y2), 8));
        }

        foreach (var expected in Boxes(direct.GetProperty("detections")))
        {
            Assert.Contains(found, f => f.Class == expected.Class && Near(f, (expected.X1, expected.Y1, expected.X2, expected.Y2), 8));
        }
    }

    [SkippableFact]
    public async Task Results_can_go_beside_the_upload_and_the_functions_own_results_are_skipped()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var png = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        var uploaded = await S3TestServer.PutAsync(bucket, "inbox/golden.png", png);
        await using var serving = Serving(_service.Api, new() { ["Preprocess:ResultsBesideUploads"] = "true" });

        var answer = await InvokeAsync(serving, S3Events.Created(
            bucket,
            ("inbox/golden.png", uploaded.VersionId, png.Length),
            ("inbox/golden.png.detections.json", "v-result", 100)));
        var result = await ReadJsonAsync(bucket, "inbox/golden.png.detections.json");

        Assert.Equal(["detected", "skipped"], answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(4, result.GetProperty("detections").GetArrayLength());
        Assert.Equal((640, 640), (result.GetProperty("sent").GetProperty("width").GetInt32(), result.GetProperty("sent").GetProperty("height").GetInt32()));
    }

    public static TheoryData<string, byte[], string> Refused() => new()
    {
        { "not an image", "just text, not pixels"u8.ToArray(), "not-an-image" },
        { "a truncated JPEG", SkiaEncoding.Jpeg(TestImages.Gradient(640, 480)).AsSpan(0, 2000).ToArray(), "corrupt-image" },
        { "larger than the body limit", SkiaEncoding.Jpeg(TestImages.Gradient(1600, 1200)), "body-too-large" },
    };

    [SkippableTheory]
    [MemberData(nameof(Refused))]
    public async Task An_image_the_decoder_refuses_gets_a_result_with_its_problem_and_no_retry(string what, byte[] upload, string code)
    {
        _ = what;
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var uploaded = await S3TestServer.PutAsync(bucket, "uploads/bad.jpg", upload);
        await using var serving = Serving(_service.Api, new() { ["Limits:MaxBodyBytes"] = "100000" });

        var answer = await InvokeAsync(serving, S3Events.Created(bucket, ("uploads/bad.jpg", uploaded.VersionId, upload.Length)));
        var result = await ReadJsonAsync(bucket, "results/uploads/bad.jpg.detections.json");

        Assert.Equal("rejected", answer.GetProperty("results")[0].GetProperty("status").GetString());
        Assert.Equal(code, result.GetProperty("problem").GetProperty("code").GetString());
        Assert.False(result.TryGetProperty("detections", out _));
    }

    [SkippableFact]
    public async Task A_service_that_cannot_be_reached_fails_the_invocation_and_writes_no_result()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var png = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        var uploaded = await S3TestServer.PutAsync(bucket, "uploads/golden.png", png);
        await using var serving = PreprocessServing.Create(Configuration(new()
        {
            ["Preprocess:ServiceUrl"] = $"http://127.0.0.1:{LoopbackPorts.Free()}",
            ["S3:ServiceUrl"] = S3TestServer.ServiceUrl,
        }), NullLoggerFactory.Instance, Http);

        var failure = await Assert.ThrowsAsync<ServiceUnavailableException>(() => InvokeAsync(serving, S3Events.Created(bucket, ("uploads/golden.png", uploaded.VersionId, png.Length))));

        Assert.Contains("could not be reached", failure.Message, StringComparison.Ordinal);
        using var s3 = S3TestServer.Client();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "results/" });
        Assert.True(listing.S3Objects is null || listing.S3Objects.Count == 0);
    }

    [Fact]
    public void A_missing_service_url_fails_init_with_a_sentence_naming_the_key()
    {
        var failure = Assert.ThrowsAny<Exception>(() => PreprocessServing.Create(Configuration(new()), NullLoggerFactory.Instance, Http));

        Assert.Contains("Preprocess:ServiceUrl must be the absolute http(s) URL", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_that_is_not_an_s3_upload_is_refused()
    {
        var failure = Assert.Throws<InvalidDataException>(() => S3UploadEvent.Parse("""{"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}"""u8.ToArray()));

        Assert.Contains("not an S3 ObjectCreated notification", failure.Message, StringComparison.Ordinal);
    }

    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private static PreprocessServing Serving(ApiProcess api, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Preprocess:ServiceUrl"] = api.Client.BaseAddress!.ToString(),
            ["S3:ServiceUrl"] = S3TestServer.ServiceUrl,
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return PreprocessServing.Create(Configuration(settings), NullLoggerFactory.Instance, Http);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static async Task<JsonElement> InvokeAsync(PreprocessServing serving, byte[] payload)
    {
        var invocation = new Invocation(Guid.NewGuid().ToString(), DateTimeOffset.UtcNow.AddMinutes(1), null, null, payload);
        return JsonDocument.Parse(await serving.Handler.HandleAsync(invocation, CancellationToken.None)).RootElement.Clone();
    }

    private static async Task<JsonElement> ReadJsonAsync(string bucket, string key)
    {
        using var s3 = S3TestServer.Client();
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key });
        Assert.Equal("application/json", response.Headers.ContentType);
        return (await JsonDocument.ParseAsync(response.ResponseStream)).RootElement.Clone();
    }

    private static async Task<JsonElement> ServiceDetectAsync(ApiProcess api, byte[] image)
    {
        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = new("image/jpeg");
        using var response = await api.Client.PostAsync("/v1/detect", content);
        response.EnsureSuccessStatusCode();
        return (await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync())).RootElement.Clone();
    }

    private static List<(string Class, float X1, float Y1, float X2, float Y2)> Boxes(JsonElement detections) =>
        detections.EnumerateArray().Select(d => (
            d.GetProperty("class").GetString()!,
            d.GetProperty("box").GetProperty("x1").GetSingle(),
            d.GetProperty("box").GetProperty("y1").GetSingle(),
            d.GetProperty("box").GetProperty("x2").GetSingle(),
            d.GetProperty("box").GetProperty("y2").GetSingle())).ToList();

    private static bool Near((string Class, float X1, float Y1, float X2, float Y2) found, (float X1, float Y1, float X2, float Y2) expected, float tolerance) =>
        Math.Abs(found.X1 - expected.X1) <= tolerance && Math.Abs(found.Y1 - expected.Y1) <= tolerance
        && Math.Abs(found.X2 - expected.X2) <= tolerance && Math.Abs(found.Y2 - expected.Y2) <= tolerance;

    /// <summary>The environment's service: a real process serving the demo model.</summary>
    public sealed class DemoService : IAsyncLifetime
    {
        public ApiProcess Api { get; private set; } = null!;

        public async Task InitializeAsync() => Api = await Services.HealthyAsync();

        public async Task DisposeAsync() => await Api.DisposeAsync();
    }
}
