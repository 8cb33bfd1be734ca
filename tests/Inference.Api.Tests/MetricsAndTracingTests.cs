using System.Collections.Concurrent;
using System.Diagnostics;
using Inference.Api.Tests.Support;
using Inference.Core.Telemetry;
using Inference.DemoModel;

namespace Inference.Api.Tests;

[Collection(Serial.Name)]
public sealed class MetricsAndTracingTests
{
    [Fact]
    public async Task Metrics_carry_the_documented_names_and_labels()
    {
        await using var service = await new ServiceHost().StartAsync();
        using (await service.Client.PostAsync("/v1/detect", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng())))
        using (await service.Client.PostAsync("/v1/detect", Requests.Raw("junk"u8.ToArray())))
        {
        }

        var metrics = await service.MetricsAsync();

        foreach (var histogram in new[] { "inference_request_duration_seconds", "inference_queue_wait_seconds", "inference_batch_inference_seconds", "inference_preprocess_seconds", "inference_postprocess_seconds", "inference_batch_size" })
        {
            Assert.Contains($"# TYPE {histogram} histogram", metrics, StringComparison.Ordinal);
        }

        Assert.Equal(1, MetricsText.Value(metrics, "inference_request_duration_seconds_count{route=\"/v1/detect\",status_class=\"2xx\""));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_request_duration_seconds_count{route=\"/v1/detect\",status_class=\"4xx\""));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_queue_wait_seconds_count{model=\"default\""));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_batch_size_count{model=\"default\""));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_ready"));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_model_ready{model=\"default\""));
        Assert.Equal(0, MetricsText.Value(metrics, "inference_queued_images{model=\"default\""));
        Assert.Equal(0, MetricsText.Value(metrics, "inference_pending_requests"));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_requests_total{model=\"default\",outcome=\"ok\""));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_requests_total{model=\"default\",outcome=\"not-an-image\""));
        Assert.Equal(1, MetricsText.Value(metrics, "inference_images_total{model=\"default\""));
        var info = metrics.Split('\n').Single(l => l.StartsWith("inference_model_info{", StringComparison.Ordinal));
        Assert.Contains("model=\"default\"", info, StringComparison.Ordinal);
        Assert.Contains("name=\"shapes-demo\"", info, StringComparison.Ordinal);
        Assert.Contains("version=\"2\"", info, StringComparison.Ordinal);
        Assert.Contains("sha256=\"2aa2ca42", info, StringComparison.Ordinal);
        Assert.Contains("provider=\"CPUExecutionProvider\"", info, StringComparison.Ordinal);
        Assert.EndsWith(" 1", info, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Promtool_accepts_the_exposition()
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists);
        if (promtool is null)
        {
            // scripts/test.sh installs Debian's prometheus package and sets this, so CI can never skip.
            Assert.True(Environment.GetEnvironmentVariable("INFERENCE_REQUIRE_TOOLS") != "1", "promtool is required but not installed.");
            Skip.If(true, "promtool is not installed (apt-get install prometheus); scripts/test.sh installs it.");
        }

        await using var service = await new ServiceHost().StartAsync();
        using (await service.Client.PostAsync("/v1/detect", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng())))
        {
        }

        var metrics = await service.MetricsAsync();
        var check = Process.Start(new ProcessStartInfo(promtool!, ["check", "metrics"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
        await check.StandardInput.WriteAsync(metrics);
        check.StandardInput.Close();
        var output = await check.StandardOutput.ReadToEndAsync() + await check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync();

        Assert.True(check.ExitCode == 0, $"promtool check metrics failed: {output}");
    }

    [Fact]
    public async Task Each_stage_gets_a_span_in_the_request_trace()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is InferenceTelemetry.SourceName or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var service = await new ServiceHost().StartAsync();
        const string TraceId = "0af7651916cd43dd8448eb211c80319c";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = Requests.Raw(DemoModelFiles.GoldenScene().RenderPng()) };
        request.Headers.Add("traceparent", $"00-{TraceId}-b7ad6b7169203331-01");

        // Every stage's span ends before the answer is written, so nothing needs waiting for.
        using var response = await service.Client.SendAsync(request);

        var inTrace = spans.Where(s => s.TraceId.ToHexString() == TraceId).Select(s => s.OperationName).ToArray();
        foreach (var stage in new[] { "decode", "queue", "inference", "postprocess" })
        {
            Assert.Contains(stage, inTrace);
        }

        var batch = spans.Single(s => s.OperationName == "inference.batch" && s.Links.Any(l => l.Context.TraceId.ToHexString() == TraceId));
        Assert.Equal(1, batch.GetTagItem("batch.size"));
    }
}
