using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Inference.Api.Tests.Support;
using Inference.DemoModel;
using Inference.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Inference.Api.Tests;

/// <summary>
/// With OTEL_EXPORTER_OTLP_ENDPOINT set, spans leave the process over OTLP/HTTP. The receiver here is a sink on
/// 127.0.0.1 that records what the real exporter posts to /v1/traces.
/// </summary>
[Collection(Serial.Name)]
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Spans_are_exported_when_the_otlp_endpoint_is_set()
    {
        var received = new ConcurrentQueue<(string Path, string ContentType, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var collector = builder.Build();
        collector.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue((request.Path, request.ContentType ?? string.Empty, body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync();
        var endpoint = collector.Urls.Single();

        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        await api.WaitUntilReadyAsync();
        using (await api.Client.PostAsync("/v1/detect", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng())))
        {
        }

        // The batch processor may split the spans over several posts; together they must hold every stage.
        string[] expected = ["decode", "queue", "postprocess", "inference.batch", "inference-api"];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!expected.All(Exported) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.NotEmpty(received);
        Assert.All(received, r => Assert.Equal("/v1/traces", r.Path));
        Assert.All(received, r => Assert.Equal("application/x-protobuf", r.ContentType));
        foreach (var name in expected)
        {
            Assert.True(Exported(name), $"'{name}' is in none of the {received.Count} exported batches.");
        }

        bool Exported(string name) => received.Any(r => Contains(r.Body, name));
    }

    // Span and service names travel as plain UTF-8 strings inside the protobuf message.
    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
