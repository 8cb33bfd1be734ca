using System.Net;
using Inference.Api.Tests.Support;
using Inference.DemoModel;

namespace Inference.Api.Tests;

[Collection(Serial.Name)]
public sealed class BatchingTests
{
    private static byte[][] Images(int count) =>
        Enumerable.Range(0, count).Select(i => SceneGenerator.Random(i + 500, 480 + (40 * i), 360 + (25 * i), 4).RenderPng()).ToArray();

    [Fact]
    public async Task Concurrent_requests_are_batched_and_each_gets_its_batch_of_one_answer()
    {
        await using var batched = await new ServiceHost(new Dictionary<string, string?> { ["Batching:MaxBatchSize"] = "8", ["Batching:MaxDelayMs"] = "100" }).StartAsync();
        await using var alone = await new ServiceHost(new Dictionary<string, string?> { ["Batching:MaxBatchSize"] = "1" }).StartAsync();
        var images = Images(12);

        var together = await Task.WhenAll(images.Select(async image =>
        {
            using var response = await batched.Client.PostAsync("/v1/detect", Requests.Raw(image));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.ReadAs<DetectAnswer>();
        }));

        var metrics = await batched.MetricsAsync();
        var batches = MetricsText.Value(metrics, "inference_batch_size_count")!.Value;
        var singles = MetricsText.Value(metrics, "inference_batch_size_bucket{le=\"1\"")!.Value;
        Assert.Equal(12, MetricsText.Value(metrics, "inference_batch_size_sum"));
        Assert.True(batches < 12 && singles < batches, $"{batches} batches, {singles} of one image: nothing was batched.");
        Assert.Contains(together, answer => answer.Timings.BatchSize > 1);
        for (var i = 0; i < images.Length; i++)
        {
            using var response = await alone.Client.PostAsync("/v1/detect", Requests.Raw(images[i]));
            var single = await response.ReadAs<DetectAnswer>();
            Assert.Equal(1, single.Timings.BatchSize);
            Assert.NotEmpty(single.Detections);
            Assert.Equal(single.Detections, together[i].Detections);
        }
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_then_recovers()
    {
        await using var service = await new ServiceHost(new Dictionary<string, string?>
        {
            ["Batching:MaxBatchSize"] = "8",
            ["Batching:MaxDelayMs"] = "1500",
            ["Batching:MaxQueue"] = "1",
        }).StartAsync();
        var image = Images(1)[0];

        var first = service.Client.PostAsync("/v1/detect", Requests.Raw(image));
        await WaitForQueuedImages(service, 1);
        using var refused = await service.Client.PostAsync("/v1/detect", Requests.Raw(image));
        using var served = await first;
        using var later = await service.Client.PostAsync("/v1/detect", Requests.Raw(image));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "No Retry-After on the 429.");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal(1, MetricsText.Value(await service.MetricsAsync(), "inference_rejections_total{reason=\"queue_full\""));
    }

    [Fact]
    public async Task A_request_past_its_deadline_gets_503_and_its_work_is_dropped()
    {
        await using var service = await new ServiceHost(new Dictionary<string, string?>
        {
            ["Batching:MaxBatchSize"] = "8",
            ["Batching:MaxDelayMs"] = "1500",
            ["Limits:RequestTimeoutMs"] = "300",
        }).StartAsync();

        using var response = await service.Client.PostAsync("/v1/detect", Requests.Raw(Images(1)[0]));
        await Task.Delay(1800);

        var problem = await response.ReadAs<ProblemAnswer>();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("deadline-exceeded", problem.Code);
        var metrics = await service.MetricsAsync();
        Assert.Equal(0, MetricsText.Value(metrics, "inference_batch_size_count") ?? 0);
        Assert.Equal(1, MetricsText.Value(metrics, "inference_rejections_total{reason=\"deadline\""));
    }

    [Fact]
    public async Task A_client_that_disconnects_drops_its_work()
    {
        await using var service = await new ServiceHost(new Dictionary<string, string?>
        {
            ["Batching:MaxBatchSize"] = "8",
            ["Batching:MaxDelayMs"] = "1500",
        }).StartAsync();
        using var impatient = new CancellationTokenSource();

        var abandoned = service.Client.PostAsync("/v1/detect", Requests.Raw(Images(1)[0]), impatient.Token);
        await WaitForQueuedImages(service, 1);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await WaitForQueuedImages(service, 0);
        await Task.Delay(1800);

        var metrics = await service.MetricsAsync();
        Assert.Equal(1, MetricsText.Value(metrics, "inference_requests_total{outcome=\"cancelled\""));
        Assert.Equal(0, MetricsText.Value(metrics, "inference_batch_size_count") ?? 0);
    }

    private static async Task WaitForQueuedImages(ServiceHost service, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (MetricsText.Value(await service.MetricsAsync(), "inference_queued_images") != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The queue never held {count} images.");
            await Task.Delay(10);
        }
    }
}
