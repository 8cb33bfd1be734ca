using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Inference.Api.Tests.Support;
using Inference.Core.Repository;
using Inference.Core.Scheduling;
using Inference.DemoModel;
using Inference.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Inference.Api.Tests;

[Collection(Serial.Name)]
public sealed class LifecycleTests
{
    [Fact]
    public async Task Readiness_moves_from_not_ready_to_ready_while_liveness_answers_throughout()
    {
        // The load reports its first step and is held there until released, so "loading" is observed for certain.
        var release = new TaskCompletionSource();
        await using var service = new ServiceHost(
            new Dictionary<string, string?> { ["Batching:MaxBatchSize"] = "4" },
            services => services.AddSingleton<IModelObserver>(new HeldLoad(release.Task))).Start();

        using var loading = await service.Client.GetAsync("/health/ready");
        using var live = await service.Client.GetAsync("/health/live");
        using var modelWhileLoading = await service.Client.GetAsync("/v1/model");
        release.SetResult();
        await service.WaitUntilReadyAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, loading.StatusCode);
        var readiness = await loading.ReadAs<ReadyAnswer>();
        Assert.Equal("not_ready", readiness.Status);
        Assert.Equal("loading", readiness.Models[0].State);
        Assert.StartsWith("Resolving the model", readiness.Models[0].Reason, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, modelWhileLoading.StatusCode);
        var problem = await modelWhileLoading.ReadAs<ProblemAnswer>();
        Assert.Equal(("not-ready", "loading"), (problem.Code, problem.State));
        var model = await (await service.Client.GetAsync("/v1/model")).ReadAs<JsonElement>();
        Assert.Equal("ready", model.GetProperty("state").GetString());
        Assert.Equal([1, 2, 3, 4], model.GetProperty("batching").GetProperty("warmed_batch_sizes").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task A_model_that_cannot_load_stays_not_ready_with_the_reason()
    {
        await using var service = new ServiceHost(new Dictionary<string, string?> { ["Model:Manifest"] = "/nonexistent/manifest.json" }).Start();

        // Poll until the loader has given up; the model load runs in the background.
        HttpStatusCode status;
        ModelReadinessAnswer model;
        var attempt = 0;
        do
        {
            using var ready = await service.Client.GetAsync("/health/ready");
            status = ready.StatusCode;
            model = (await ready.ReadAs<ReadyAnswer>()).Models[0];
            await Task.Delay(attempt++ == 0 ? 0 : 50);
        }
        while (model.State != "failed" && attempt < 600);

        using var detect = await service.Client.PostAsync("/v1/detect", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng()));
        using var live = await service.Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("failed", model.State);
        Assert.Contains("/nonexistent/manifest.json", model.Reason, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, detect.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Sigterm_turns_readiness_503_at_once_keeps_serving_through_the_drain_and_exits_cleanly()
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Batching__MaxDelayMs"] = "1500",
            ["Shutdown__DrainDelaySeconds"] = "2",
            ["Shutdown__TimeoutSeconds"] = "15",
        });
        await api.WaitUntilReadyAsync();
        var image = DemoModelFiles.GoldenScene().RenderPng();

        // In flight: held by the batch delay when the signal arrives.
        var inFlight = api.Client.PostAsync("/v1/detect", Requests.Raw(image));
        while (!(await api.Client.GetStringAsync("/metrics")).Contains("inference_queued_images{model=\"default\"} 1", StringComparison.Ordinal))
        {
            await Task.Delay(10);
        }

        var clock = Stopwatch.StartNew();
        await api.TerminateAsync();

        // The runtime handles the signal on its own thread: readiness must flip well inside the drain delay.
        var readyDuringDrain = await api.Client.GetAsync("/health/ready");
        while (readyDuringDrain.StatusCode == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(1))
        {
            readyDuringDrain.Dispose();
            await Task.Delay(10);
            readyDuringDrain = await api.Client.GetAsync("/health/ready");
        }

        var flippedAfter = clock.Elapsed;
        var duringDrain = api.Client.PostAsync("/v1/detect", Requests.Raw(image));
        using var inFlightAnswer = await inFlight;
        using var drainAnswer = await duringDrain;
        var exitCode = await api.WaitForExitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyDuringDrain.StatusCode);
        Assert.Equal("stopping", (await readyDuringDrain.ReadAs<ReadyAnswer>()).Models[0].State);
        Assert.True(flippedAfter < TimeSpan.FromSeconds(1), $"Readiness flipped only after {flippedAfter}.");
        readyDuringDrain.Dispose();
        Assert.Equal(HttpStatusCode.OK, inFlightAnswer.StatusCode);
        Assert.Equal(4, (await inFlightAnswer.ReadAs<DetectAnswer>()).Detections.Count);
        Assert.Equal(HttpStatusCode.OK, drainAnswer.StatusCode);
        Assert.Equal(0, exitCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task The_default_command_serves_the_embedded_demo_model_and_logs_json_with_the_trace_id()
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        await api.WaitUntilReadyAsync();
        const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = Requests.Raw(DemoModelFiles.GoldenScene().RenderPng()) };
        request.Headers.Add("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01");

        using var response = await api.Client.SendAsync(request);

        // The console logger writes from a background queue: give it a moment under load.
        bool Traced(JsonElement e) => e.GetProperty("Scopes").EnumerateArray().Any(s => s.TryGetProperty("TraceId", out var id) && id.GetString() == TraceId);
        for (var attempt = 0; attempt < 200 && !api.LogEntries().Any(Traced); attempt++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("shapes-demo", (await response.ReadAs<DetectAnswer>()).Model.Name);
        var entries = api.LogEntries();
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.True(e.TryGetProperty("LogLevel", out _) && e.TryGetProperty("Timestamp", out _)));
        Assert.Contains(entries, Traced);
        Assert.Contains(entries, e => e.GetProperty("Message").GetString()!.Contains("ready", StringComparison.Ordinal));
    }
}

/// <summary>Holds the model load at its first reported step until the test releases it.</summary>
internal sealed class HeldLoad(Task release) : IModelObserver
{
    public IBatchObserver? ForModel(string modelId) => null;

    public void StatusChanged(ModelEntry entry, bool allReady) => release.Wait();

    public void Loaded(ServedModel model)
    {
    }
}
