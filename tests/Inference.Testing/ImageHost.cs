using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Inference.Testing;

/// <summary>
/// A real web server on 127.0.0.1 that serves images by URL, for the URL-fetch rules: plain images, redirects to the
/// same host and to another (<c>localhost</c>), a redirect loop, bodies over any cap (declared or chunked), a request
/// that never answers, and a 404. It records every request's Host header, so a test can tell whether any got through.
/// </summary>
public sealed class ImageHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _hosts;
    private TaskCompletionSource _hanging = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ImageHost(WebApplication app, Uri url, ConcurrentQueue<string> hosts)
    {
        _app = app;
        Url = url;
        _hosts = hosts;
    }

    public Uri Url { get; }

    public int Port => Url.Port;

    /// <summary>The Host header of every request received, in order.</summary>
    public IReadOnlyCollection<string> Hosts => _hosts;

    /// <summary>Completes when a request for <c>/hang</c> has arrived (it is never answered).</summary>
    public Task Hanging => _hanging.Task;

    public static async Task<ImageHost> StartAsync(IReadOnlyDictionary<string, byte[]> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var hosts = new ConcurrentQueue<string>();
        ImageHost? host = null;
        var (app, url) = await LoopbackApp.StartAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                hosts.Enqueue(context.Request.Host.Value ?? "");
                await next(context);
            });
            app.MapGet("/images/{name}", (string name) => images.TryGetValue(name, out var bytes)
                ? Results.Bytes(bytes, name.EndsWith(".jpg", StringComparison.Ordinal) ? "image/jpeg" : "image/png")
                : Results.NotFound());
            app.MapGet("/redirect/{name}", (string name) => Results.Redirect($"/images/{name}"));
            app.MapGet("/redirect-host/{name}", (string name, HttpContext context) => Results.Redirect($"http://localhost:{context.Connection.LocalPort}/images/{name}"));
            app.MapGet("/loop", () => Results.Redirect("/loop"));
            app.MapGet("/declared/{bytes:long}", async (long bytes, HttpContext context) =>
            {
                context.Response.ContentType = "image/png";
                context.Response.ContentLength = bytes;
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await WaitUntilGoneAsync(context);
            });
            app.MapGet("/chunked/{bytes:long}", async (long bytes, HttpContext context) =>
            {
                context.Response.ContentType = "image/png";
                var chunk = new byte[64 * 1024];
                for (long sent = 0; sent < bytes && !context.RequestAborted.IsCancellationRequested; sent += chunk.Length)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                }
            });
            app.MapGet("/hang", async (HttpContext context) =>
            {
                host!._hanging.TrySetResult();
                await WaitUntilGoneAsync(context);
            });
        });
        host = new ImageHost(app, url, hosts);
        return host;
    }

    public Uri Image(string name) => new(Url, $"images/{name}");

    /// <summary>Waits for the next <c>/hang</c> request afresh.</summary>
    public void ResetHanging() => _hanging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task WaitUntilGoneAsync(HttpContext context)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client gave up, which is what the test wanted.
        }
    }
}
