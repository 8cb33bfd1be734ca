using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Inference.Testing;

/// <summary>
/// The Lambda Runtime API (2018-06-01) on 127.0.0.1, following the documented paths, headers and status codes:
/// <c>GET /runtime/invocation/next</c> blocks until an event is queued and answers 200 with the event and its
/// <c>Lambda-Runtime-*</c> headers; <c>POST …/{id}/response</c> and <c>…/{id}/error</c> answer 202, or 400
/// <c>InvalidRequestID</c> for an id that is not in flight; <c>POST /runtime/init/error</c> answers 202. A fake,
/// because the real one exists only inside Lambda.
/// </summary>
public sealed class FakeLambdaRuntime : IAsyncDisposable
{
    private const string Prefix = "/2018-06-01/runtime";
    private WebApplication _app = null!;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly ConcurrentDictionary<string, Pending> _inFlight = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<RuntimeReport> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstNext = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Map(WebApplication app)
    {
        app.MapGet($"{Prefix}/invocation/next", NextAsync);
        app.MapPost($"{Prefix}/invocation/{{id}}/response", (string id, HttpContext context) => CompleteAsync(id, context, isError: false));
        app.MapPost($"{Prefix}/invocation/{{id}}/error", (string id, HttpContext context) => CompleteAsync(id, context, isError: true));
        app.MapPost($"{Prefix}/init/error", (Delegate)InitErrorAsync);
    }

    /// <summary>The value for <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>Completes when the runtime reports an initialisation error.</summary>
    public Task<RuntimeReport> InitError => _initError.Task;

    /// <summary>Completes when the runtime first asks for an event: its init phase is over.</summary>
    public Task Initialised => _firstNext.Task;

    public static async Task<FakeLambdaRuntime> StartAsync()
    {
        var runtime = new FakeLambdaRuntime();
        (runtime._app, var url) = await LoopbackApp.StartAsync(runtime.Map);
        runtime.Endpoint = url.Authority;
        return runtime;
    }

    /// <summary>Queues one event; completes with what the runtime answered for it.</summary>
    public Task<RuntimeReport> InvokeAsync(byte[] payload, TimeSpan timeout, string? traceId = null)
    {
        traceId ??= $"Root=1-{DateTimeOffset.UtcNow.ToUnixTimeSeconds():x8}-{Guid.NewGuid().ToString("N")[..24]};Parent={Guid.NewGuid().ToString("N")[..16]};Sampled=1";
        var pending = new Pending(Guid.NewGuid().ToString(), payload, DateTimeOffset.UtcNow + timeout, traceId);
        _queue.Writer.TryWrite(pending);
        return pending.Outcome.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task NextAsync(HttpContext context)
    {
        _firstNext.TrySetResult();
        Pending pending;
        try
        {
            pending = await _queue.Reader.ReadAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            return;
        }

        _inFlight[pending.RequestId] = pending;
        var headers = context.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = pending.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = pending.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:us-east-1:123456789012:function:detector-light:live";
        headers["Lambda-Runtime-Trace-Id"] = pending.TraceId;
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(pending.Payload);
    }

    private async Task<IResult> CompleteAsync(string id, HttpContext context, bool isError)
    {
        if (!_inFlight.TryRemove(id, out var pending))
        {
            return Results.Json(new { errorMessage = $"Invalid request ID: {id}", errorType = "InvalidRequestID" }, statusCode: StatusCodes.Status400BadRequest);
        }

        var body = await ReadAsync(context.Request);
        pending.Outcome.TrySetResult(new RuntimeReport(id, isError, body, context.Request.Headers["Lambda-Runtime-Function-Error-Type"].ToString(), DateTimeOffset.UtcNow, pending.Deadline));
        return Results.Json(new { status = "OK" }, statusCode: StatusCodes.Status202Accepted);
    }

    private async Task<IResult> InitErrorAsync(HttpContext context)
    {
        var body = await ReadAsync(context.Request);
        _initError.TrySetResult(new RuntimeReport(string.Empty, true, body, context.Request.Headers["Lambda-Runtime-Function-Error-Type"].ToString(), DateTimeOffset.UtcNow, null));
        return Results.Json(new { status = "OK" }, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<byte[]> ReadAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private sealed record Pending(string RequestId, byte[] Payload, DateTimeOffset Deadline, string TraceId)
    {
        public TaskCompletionSource<RuntimeReport> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>What the runtime posted for one invocation (or for init): a response, or an error with its type header.</summary>
public sealed record RuntimeReport(string RequestId, bool IsError, byte[] Body, string ErrorTypeHeader, DateTimeOffset At, DateTimeOffset? Deadline)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
}
