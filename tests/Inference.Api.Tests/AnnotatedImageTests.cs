using System.Net;
using System.Net.Http.Headers;
using Inference.Api.Detection;
using Inference.Api.Tests.Support;
using Inference.Core.Imaging;
using Inference.Core.Rendering;
using Inference.DemoModel;
using Inference.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Inference.Api.Tests;

/// <summary><c>format=image</c> and <c>Accept: image/…</c>: the original image back with the boxes drawn.</summary>
public sealed class AnnotatedImageTests : IAsyncLifetime
{
    // The demo golden image's red rectangle, as the demo model finds it (README).
    private const int RedX1 = 44;
    private const int RedY1 = 74;
    private const int RedY2 = 175;

    private static readonly byte[] Golden = DemoModelFiles.GoldenScene().RenderPng();
    private readonly ImageDecoder _decoder = new();
    private ServiceHost _service = null!;

    public async Task InitializeAsync() => _service = await new ServiceHost().StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task Format_image_answers_the_png_with_boxes_in_class_colours()
    {
        using var response = await _service.Client.PostAsync("/v1/detect?format=image", Requests.Raw(Golden));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("4", response.Headers.GetValues(AnnotatedImageResult.DetectionsHeader).Single());
        using var image = await DecodeAsync(response);
        Assert.Equal((640, 640), (image.Width, image.Height));
        var red = ClassPalette.For(0);
        Assert.Equal(new Rgb24(red.Red, red.Green, red.Blue), image.RgbAt(RedX1, (RedY1 + RedY2) / 2));
    }

    [Fact]
    public async Task Accept_image_jpeg_on_a_named_model_answers_a_jpeg_of_the_original_size()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/default/detect") { Content = Requests.Raw(Golden) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/jpeg"));

        using var response = await _service.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        using var image = await DecodeAsync(response);
        Assert.Equal("JPEG", image.Format);
        Assert.Equal((640, 640), (image.Width, image.Height));
    }

    [Fact]
    public async Task An_exif_turned_photo_comes_back_upright()
    {
        // Stored 640×480, tagged "rotate 90°": upright 480×640, as the JSON answer's image size says too.
        using var stored = Image.Load<Rgb24>(Golden);
        stored.Mutate(x => x.Resize(640, 480));
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        var jpeg = TestImages.Encode(stored, new JpegEncoder { Quality = 90 });

        using var json = await _service.Client.PostAsync("/v1/detect", Requests.Raw(jpeg, "image/jpeg"));
        using var response = await _service.Client.PostAsync("/v1/detect?format=image", Requests.Raw(jpeg, "image/jpeg"));

        var answer = await json.ReadAs<DetectAnswer>();
        using var image = await DecodeAsync(response);
        Assert.Equal((480, 640), (answer.Image.Width, answer.Image.Height));
        Assert.Equal((480, 640), (image.Width, image.Height));
    }

    [Fact]
    public async Task Labels_false_and_stroke_shape_the_drawing()
    {
        using var plain = await _service.Client.PostAsync("/v1/detect?format=image&labels=false&stroke=5", Requests.Raw(Golden));
        using var labelled = await _service.Client.PostAsync("/v1/detect", Requests.Multipart([Golden], new Dictionary<string, string> { ["format"] = "image", ["labels"] = "on" }));

        using var withoutLabels = await DecodeAsync(plain);
        using var withLabels = await DecodeAsync(labelled);
        var red = ClassPalette.For(0);
        var colour = new Rgb24(red.Red, red.Green, red.Blue);
        var middle = (RedY1 + RedY2) / 2;
        Assert.Equal(colour, withoutLabels.RgbAt(RedX1 + 4, middle));
        Assert.NotEqual(colour, withoutLabels.RgbAt(RedX1 - 1, middle));

        // Above the red box: white background without labels, the label's fill with them.
        Assert.Equal(new Rgb24(255, 255, 255), withoutLabels.RgbAt(RedX1 + 3, RedY1 - 5));
        Assert.Equal(colour, withLabels.RgbAt(RedX1 + 1, RedY1 - 2));
    }

    [Fact]
    public async Task The_first_answerable_accepted_type_wins()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = Requests.Raw(Golden) };
        request.Headers.TryAddWithoutValidation("Accept", "text/html;q=0.9, application/json;q=0.8, image/png;q=0.5");

        using var response = await _service.Client.SendAsync(request);

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(4, (await response.ReadAs<DetectAnswer>()).Detections.Count);
    }

    [Theory]
    [InlineData("format=gif", "format")]
    [InlineData("format=image&stroke=0", "stroke")]
    [InlineData("format=image&stroke=65", "stroke")]
    [InlineData("format=image&labels=maybe", "labels")]
    public async Task Bad_drawing_parameters_are_400_naming_the_parameter(string query, string parameter)
    {
        using var response = await _service.Client.PostAsync($"/v1/detect?{query}", Requests.Raw(Golden));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadAs<ProblemAnswer>();
        Assert.Equal("invalid-parameters", problem.Code);
        Assert.Contains(parameter, problem.Errors!.Keys);
    }

    [Fact]
    public async Task An_image_answer_for_several_images_is_refused()
    {
        using var response = await _service.Client.PostAsync("/v1/detect?format=image", Requests.Multipart([Golden, Golden]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadAs<ProblemAnswer>();
        Assert.Contains("one image", problem.Errors!["format"][0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_offers_the_image_answer_and_its_parameters()
    {
        using var document = System.Text.Json.JsonDocument.Parse(await _service.Client.GetStringAsync("/openapi/v1.json"));

        foreach (var path in new[] { "/v1/detect", "/v1/models/{id}/detect" })
        {
            var post = document.RootElement.GetProperty("paths").GetProperty(path).GetProperty("post");
            var content = post.GetProperty("responses").GetProperty("200").GetProperty("content");
            Assert.True(content.TryGetProperty("image/jpeg", out _), $"{path} does not document image/jpeg.");
            Assert.True(content.TryGetProperty("image/png", out _), $"{path} does not document image/png.");
            Assert.True(content.TryGetProperty("application/json", out _), $"{path} lost its JSON answer.");
            var parameters = post.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToArray();
            Assert.Contains("format", parameters);
            Assert.Contains("stroke", parameters);
        }
    }

    private async Task<DecodedImage> DecodeAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return _decoder.Decode(await response.Content.ReadAsByteArrayAsync(), ImageTarget.Full, default);
    }
}
