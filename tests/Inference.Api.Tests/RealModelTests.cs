using System.Net;
using Inference.Api.Tests.Support;
using Inference.Core.Postprocessing;
using Inference.Testing;

namespace Inference.Api.Tests;

/// <summary>YOLOX-Nano from the shared fixtures, served over HTTP, on the fixtures' photos.</summary>
public sealed class RealModelTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("yolox-").FullName;
    private ServiceHost? _service;

    public async Task InitializeAsync()
    {
        if (!YoloxFixture.Available)
        {
            return;
        }

        var manifest = YoloxFixture.Manifest() with { Weights = Path.Combine(YoloxFixture.ModelDirectory, YoloxFixture.DynamicModel) };
        var path = Path.Combine(_directory, "manifest.json");
        await File.WriteAllTextAsync(path, manifest.ToJson());
        _service = await new ServiceHost(new Dictionary<string, string?> { ["Model:Manifest"] = path, ["Batching:MaxBatchSize"] = "4" }).StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [SkippableFact]
    public async Task The_photos_give_the_reference_detections_over_http()
    {
        Skip.If(_service is null, YoloxFixture.SkipReason);
        var photos = new[] { "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg" };

        using var response = await _service!.Client.PostAsync("/v1/detect", Requests.Multipart(photos.Select(p => File.ReadAllBytes(YoloxFixture.Photo(p)))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answers = await response.ReadAs<List<DetectAnswer>>();
        Assert.Equal("yolox-nano", answers[0].Model.Name);
        AssertObjects(answers[0], ("person", 0.925f, new BoundingBox(11, 20, 368, 507)));
        AssertObjects(answers[1], ("cat", 0.623f, new BoundingBox(0, 0, 450, 300)));
        AssertObjects(answers[2], ("cup", 0.900f, new BoundingBox(162, 15, 422, 293)), ("dining table", 0.731f, new BoundingBox(0, 0, 598, 398)));
        AssertObjects(answers[3]);
    }

    [SkippableFact]
    public async Task A_photo_comes_back_annotated_with_the_cup_box_drawn()
    {
        Skip.If(_service is null, YoloxFixture.SkipReason);
        var photo = File.ReadAllBytes(YoloxFixture.Photo("coffee.png"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect?stroke=4") { Content = Requests.Raw(photo) };
        request.Headers.Accept.ParseAdd("image/jpeg");

        using var response = await _service!.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        // The README shows this file: an annotated fixture photo made by this test.
        TestArtifacts.Save("coffee-annotated.jpg", bytes);
        using var image = new Inference.Core.Imaging.ImageDecoder().Decode(bytes, Inference.Core.Imaging.ImageTarget.Full, default);
        Assert.Equal((600, 400), (image.Width, image.Height));
        Assert.Equal("2", response.Headers.GetValues("X-Detections").Single());

        // The cup (COCO class 41) box's left edge, x = 162 to 165, in its class colour (JPEG allows a few levels).
        var cup = Inference.Core.Rendering.ClassPalette.For(41);
        var pixel = image.RgbAt(164, 150);
        Assert.True(Math.Abs(pixel.R - cup.Red) + Math.Abs(pixel.G - cup.Green) + Math.Abs(pixel.B - cup.Blue) < 60, $"{pixel} is not the cup colour {cup}.");
    }

    [SkippableFact]
    public async Task Agnostic_nms_lets_the_cup_suppress_the_table_it_overlaps()
    {
        Skip.If(_service is null, YoloxFixture.SkipReason);
        var coffee = File.ReadAllBytes(YoloxFixture.Photo("coffee.png"));

        using var perClass = await _service!.Client.PostAsync("/v1/detect?agnostic=false&iou=0.2", Requests.Raw(coffee));
        using var agnostic = await _service.Client.PostAsync("/v1/detect?agnostic=true&iou=0.2", Requests.Raw(coffee));

        Assert.Equal(["cup", "dining table"], (await perClass.ReadAs<DetectAnswer>()).Detections.Select(d => d.Class));
        Assert.Equal(["cup"], (await agnostic.ReadAs<DetectAnswer>()).Detections.Select(d => d.Class));
    }

    private static void AssertObjects(DetectAnswer answer, params (string Class, float Score, BoundingBox Box)[] expected)
    {
        Assert.Equal(expected.Length, answer.Detections.Count);
        foreach (var (cls, score, box) in expected)
        {
            var found = Assert.Single(answer.Detections, d => d.Class == cls);
            Assert.InRange(found.Confidence, score - 0.05f, score + 0.05f);
            Assert.InRange(found.Box.X1, box.X1 - 3, box.X1 + 3);
            Assert.InRange(found.Box.Y1, box.Y1 - 3, box.Y1 + 3);
            Assert.InRange(found.Box.X2, box.X2 - 3, box.X2 + 3);
            Assert.InRange(found.Box.Y2, box.Y2 - 3, box.Y2 + 3);
        }
    }
}
