using System.Net;
using System.Text.Json;
using Inference.Api.Tests.Support;
using Inference.Core.Repository;
using Inference.DemoModel;
using Inference.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Inference.Api.Tests;

/// <summary>Several models in one process: each by id, each with its own state, and readiness only when all are ready.</summary>
public sealed class ModelRepositoryTests : IAsyncLifetime
{
    private readonly ServiceHost _service = new(new Dictionary<string, string?>
    {
        ["Models:second:Manifest"] = RepositoryPaths.DemoManifest,
        ["Models:second:Instances"] = "2",
        ["Models:broken:Manifest"] = "/nonexistent/manifest.json",
    });

    public async Task InitializeAsync()
    {
        _service.Start();

        // The broken model fails on its own; the others load. The repository says when all have settled.
        await _service.Services.GetRequiredService<ModelRepository>().Settled.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task Readiness_is_per_model_and_false_while_any_model_has_failed()
    {
        using var ready = await _service.Client.GetAsync("/health/ready");
        var answer = await ready.ReadAs<ReadyAnswer>();
        var metrics = await _service.MetricsAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("not_ready", answer.Status);
        Assert.Equal(["default", "broken", "second"], answer.Models.Select(m => m.Id));
        Assert.Equal(["ready", "failed", "ready"], answer.Models.Select(m => m.State));
        Assert.Contains("/nonexistent/manifest.json", answer.Models[1].Reason, StringComparison.Ordinal);
        Assert.Equal(0, MetricsText.Value(metrics, "inference_ready"));
        Assert.Equal(0, MetricsText.Value(metrics, "inference_model_ready{model=\"broken\""));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_model_ready{model=\"second\""));
    }

    [Fact]
    public async Task Each_model_serves_by_its_id_with_its_own_scheduler_and_the_default_keeps_serving()
    {
        var image = DemoModelFiles.GoldenScene().RenderPng();

        using var second = await _service.Client.PostAsync("/v1/models/second/detect", Requests.Raw(image));
        using var byDefault = await _service.Client.PostAsync("/v1/detect", Requests.Raw(image));
        using var broken = await _service.Client.PostAsync("/v1/models/broken/detect", Requests.Raw(image));
        var info = await (await _service.Client.GetAsync("/v1/models/second")).ReadAs<JsonElement>();
        var metrics = await _service.MetricsAsync();

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byDefault.StatusCode);
        Assert.Equal((await byDefault.ReadAs<DetectAnswer>()).Detections, (await second.ReadAs<DetectAnswer>()).Detections);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, broken.StatusCode);
        var problem = await broken.ReadAs<ProblemAnswer>();
        Assert.Equal(("not-ready", "failed"), (problem.Code, problem.State));
        Assert.Equal(2, info.GetProperty("batching").GetProperty("instances").GetInt32());
        Assert.False(info.GetProperty("default").GetBoolean());
        Assert.Equal(1, MetricsText.Value(metrics, "inference_images_total{model=\"second\""));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_images_total{model=\"default\""));
    }

    [Fact]
    public async Task The_model_list_shows_every_configured_model_loaded_or_not()
    {
        var list = await (await _service.Client.GetAsync("/v1/models")).ReadAs<JsonElement>();

        var models = list.GetProperty("models").EnumerateArray().ToArray();
        Assert.Equal(["default", "broken", "second"], models.Select(m => m.GetProperty("id").GetString()));
        Assert.False(models[1].TryGetProperty("sha256", out _));
        Assert.Equal("failed", models[1].GetProperty("state").GetString());
        Assert.Equal(models[0].GetProperty("sha256").GetString(), models[2].GetProperty("sha256").GetString());
    }
}
