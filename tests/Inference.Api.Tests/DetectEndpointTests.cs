using System.Net;
using Inference.Api.Tests.Support;
using Inference.DemoModel;

namespace Inference.Api.Tests;

public sealed class DemoServiceFixture : IAsyncLifetime
{
    public ServiceHost Service { get; } = new();

    public async Task InitializeAsync() => await Service.StartAsync();

    public async Task DisposeAsync() => await Service.DisposeAsync();
}

public sealed class DetectEndpointTests(DemoServiceFixture fixture) : IClassFixture<DemoServiceFixture>
{
    private HttpClient Client => fixture.Service.Client;

    [Fact]
    public async Task A_raw_png_body_gets_its_detections_in_original_pixels()
    {
        var scene = DemoModelFiles.GoldenScene();

        using var response = await Client.PostAsync("/v1/detect", Requests.Raw(scene.RenderPng()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadAs<DetectAnswer>();
        Assert.Equal("shapes-demo", answer.Model.Name);
        Assert.Equal("2", answer.Model.Version);
        Assert.Equal(64, answer.Model.Sha256.Length);
        Assert.Equal(new SizeAnswer(640, 640), answer.Image);
        Assert.Equal(scene.Shapes.Count, answer.Detections.Count);
        foreach (var shape in scene.Shapes)
        {
            var found = Assert.Single(answer.Detections, d => d.Class == shape.ClassName);
            Assert.Equal(shape.ClassId, found.ClassId);
            Assert.Equal(shape.Box, found.Box);
            Assert.Equal(1f, found.Confidence, 3);
        }
    }

    [Fact]
    public async Task Every_timing_is_reported()
    {
        using var response = await Client.PostAsync("/v1/detect", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng()));

        var timings = (await response.ReadAs<DetectAnswer>()).Timings;
        Assert.True(timings.DecodeMs > 0 && timings.PreprocessMs > 0 && timings.InferenceMs > 0 && timings.PostprocessMs > 0);
        Assert.True(timings.QueueMs >= 0);
        Assert.True(timings.TotalMs >= timings.DecodeMs + timings.PreprocessMs + timings.InferenceMs);
        Assert.InRange(timings.BatchSize, 1, 8);
    }

    [Theory]
    [InlineData("image/jpeg")]
    [InlineData("application/octet-stream")]
    public async Task The_declared_image_type_does_not_matter_the_bytes_do(string contentType)
    {
        using var response = await Client.PostAsync("/v1/detect", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng(), contentType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task One_multipart_image_is_answered_as_an_object()
    {
        using var response = await Client.PostAsync("/v1/detect", Requests.Multipart([DemoModelFiles.GoldenScene().RenderPng()]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, (await response.ReadAs<DetectAnswer>()).Detections.Count);
    }

    [Fact]
    public async Task Several_multipart_images_are_answered_as_a_list_in_order()
    {
        var scenes = new[] { SceneGenerator.Random(1, 800, 600, 3), DemoModelFiles.GoldenScene(), SceneGenerator.Random(2, 500, 900, 5) };

        using var response = await Client.PostAsync("/v1/detect", Requests.Multipart(scenes.Select(s => s.RenderPng())));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answers = await response.ReadAs<List<DetectAnswer>>();
        Assert.Equal(scenes.Length, answers.Count);
        for (var i = 0; i < scenes.Length; i++)
        {
            Assert.Equal(new SizeAnswer(scenes[i].Width, scenes[i].Height), answers[i].Image);
            Assert.Equal(scenes[i].Shapes.Count, answers[i].Detections.Count);
        }
    }

    [Theory]
    [InlineData("?classes=blue,3", new[] { "blue", "yellow" })]
    [InlineData("?classes=0", new[] { "red" })]
    [InlineData("?max_detections=2", null)]
    public async Task Query_parameters_shape_the_answer(string query, string[]? expectedClasses)
    {
        using var response = await Client.PostAsync($"/v1/detect{query}", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng()));

        var answer = await response.ReadAs<DetectAnswer>();
        if (expectedClasses is null)
        {
            Assert.Equal(2, answer.Detections.Count);
        }
        else
        {
            Assert.Equal(expectedClasses, answer.Detections.Select(d => d.Class).Order());
        }
    }

    [Fact]
    public async Task Confidence_is_a_threshold()
    {
        // An off-centre shape scores below 1; a threshold above its score drops it.
        var scene = SceneGenerator.Random(3, 1000, 700, 5);
        using var all = await Client.PostAsync("/v1/detect?confidence=0.01", Requests.Raw(scene.RenderPng()));
        var scores = (await all.ReadAs<DetectAnswer>()).Detections.Select(d => d.Confidence).Order().ToArray();
        var cut = (scores[0] + scores[^1]) / 2;

        using var strict = await Client.PostAsync($"/v1/detect?confidence={cut}", Requests.Raw(scene.RenderPng()));

        Assert.Equal(scores.Count(s => s >= cut), (await strict.ReadAs<DetectAnswer>()).Detections.Count);
    }

    [Fact]
    public async Task Form_fields_carry_parameters_too_and_win_over_the_query()
    {
        var form = Requests.Multipart([DemoModelFiles.GoldenScene().RenderPng()], new Dictionary<string, string> { ["classes"] = "green" });

        using var response = await Client.PostAsync("/v1/detect?classes=red", form);

        Assert.Equal(["green"], (await response.ReadAs<DetectAnswer>()).Detections.Select(d => d.Class));
    }
}
