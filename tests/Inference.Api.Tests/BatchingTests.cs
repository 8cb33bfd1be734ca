using System.Net;
using Inference.Api.Tests.Support;
using Inference.DemoModel;
using Inference.Testing;

namespace Inference.Api.Tests;

/// <summary>
/// Batching, the queue limit, deadlines and disconnects through HTTP. Each case is decided by an event (a full batch,
/// a queue count, an answer), never by a fixed sleep.
/// </summary>
[Collection(Serial.Name)]
public sealed class BatchingTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    private const string Queued = "inference_queued_images{model=\"default\"";

    private static byte[][] Images(int count) =>
        [.. Enumerable.Range(0, count).Select(i => SceneGenerator.Random(i + 500, 480 + (40 * i), 360 + (25 * i), 4).RenderPng())];

    [Fact]
    public async Task Concurrent_requests_share_a_batch_and_each_gets_the_detections_it_would_get_alone()
    {
        // A batch of exactly eight and a long delay: the batch runs when the eighth request arrives, not before.
        await using var service = await new ServiceHost(new Dictionary<string, string?> { ["Batching:MaxBatchSize"] = "8", ["Batching:MaxDelayMs"] = "10000" }).StartAsync();
        var images = Images(8);

        var together = await Task.WhenAll(images.Select(async image =>
        {
            using var response = await service.Client.PostAsync("/v1/detect", Requests.Raw(image));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.ReadAs<DetectAnswer>();
        }));

        var metrics = await service.MetricsAsync();
        Assert.All(together, answer => Assert.Equal(8, answer.Timings.BatchSize));
        Assert.Equal(8, MetricsText.Value(metrics, "inference_batch_size_sum{model=\"default\""));
        for (var i = 0; i < images.Length; i++)
        {
            var alone = await demo.Detector.DetectAsync(images[i]);
            Assert.NotEmpty(alone.Detections);
            Assert.Equal(alone.Detections.Select(d => (d.ClassName, d.Confidence, d.Box)), together[i].Detections.Select(d => (d.Class, d.Confidence, d.Box)));
        }
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_then_recovers_and_a_client_that_leaves_drops_its_work()
    {
        // A lone request waits out the 1.5 s delay, holding the only place in the queue meanwhile.
        await using var service = await new ServiceHost(new Dictionary<string, string?>
        {
            ["Batching:MaxBatchSize"] = "8",
            ["Batching:MaxDelayMs"] = "1500",
            ["Batching:MaxQueue"] = "1",
        }).StartAsync();
        var image = Images(1)[0];

        var first = service.Client.PostAsync("/v1/detect", Requests.Raw(image));
        await WaitForMetric(service, Queued, 1);
        using var refused = await service.Client.PostAsync("/v1/detect", Requests.Raw(image));
        using var served = await first;
        using var later = await service.Client.PostAsync("/v1/detect", Requests.Raw(image));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("queue-full", (await refused.ReadAs<ProblemAnswer>()).Code);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "No Retry-After on the 429.");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal(1, MetricsText.Value(await service.MetricsAsync(), "inference_rejections_total{model=\"default\",reason=\"queue-full\""));

        // A client that leaves while queued: its image leaves the queue and never runs.
        var batchesBefore = MetricsText.Value(await service.MetricsAsync(), "inference_batch_size_count{model=\"default\"");
        using var impatient = new CancellationTokenSource();
        var abandoned = service.Client.PostAsync("/v1/detect", Requests.Raw(image), impatient.Token);
        await WaitForMetric(service, Queued, 1);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await WaitForMetric(service, "inference_requests_total{model=\"default\",outcome=\"client-closed-request\"", 1);

        var metrics = await service.MetricsAsync();
        Assert.Equal(0, MetricsText.Value(metrics, Queued));
        Assert.Equal(batchesBefore, MetricsText.Value(metrics, "inference_batch_size_count{model=\"default\""));
    }

    [Fact]
    public async Task A_request_past_its_deadline_gets_503_and_leaves_the_queue()
    {
        await using var service = await new ServiceHost(new Dictionary<string, string?>
        {
            ["Batching:MaxBatchSize"] = "8",
            ["Batching:MaxDelayMs"] = "5000",
            ["Limits:RequestTimeoutMs"] = "300",
        }).StartAsync();

        using var response = await service.Client.PostAsync("/v1/detect", Requests.Raw(Images(1)[0]));

        var problem = await response.ReadAs<ProblemAnswer>();
        var metrics = await service.MetricsAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("deadline-exceeded", problem.Code);
        Assert.Equal(0, MetricsText.Value(metrics, Queued));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_rejections_total{model=\"default\",reason=\"deadline-exceeded\""));
    }

    private static async Task WaitForMetric(ServiceHost service, string selector, double value)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (MetricsText.Value(await service.MetricsAsync(), selector) != value)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{selector} never reached {value}.");
            await Task.Delay(10);
        }
    }
}
