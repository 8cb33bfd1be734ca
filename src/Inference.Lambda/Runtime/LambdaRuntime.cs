namespace Inference.Lambda.Runtime;

/// <summary>
/// The runtime loop: initialise the handler once (reporting a failure to <c>/init/error</c> and exiting), then
/// fetch, handle and answer events until the process is stopped. Each invocation runs under its deadline
/// (<c>Lambda-Runtime-Deadline-Ms</c> less a margin to send the answer) with its X-Ray header in
/// <c>_X_AMZN_TRACE_ID</c> and its request id in every log line.
/// </summary>
public sealed partial class LambdaRuntime(RuntimeApiClient api, ILogger logger, TimeProvider? time = null)
{
    /// <summary>
    /// Kept back from each deadline so that the error or response still reaches Lambda in time: a tenth of the time
    /// the invocation has, at least 200 ms (a busy host can take that long to schedule the answer) and at most 1 s.
    /// </summary>
    public static TimeSpan AnswerMargin(TimeSpan remaining) =>
        TimeSpan.FromTicks(Math.Clamp(remaining.Ticks / 10, TimeSpan.FromMilliseconds(200).Ticks, TimeSpan.FromSeconds(1).Ticks));

    public const string TraceIdVariable = "_X_AMZN_TRACE_ID";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <returns>The process exit code: 1 when initialisation failed or the Runtime API broke.</returns>
    public async Task<int> RunAsync(Func<CancellationToken, Task<IInvocationHandler>> initialise, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(initialise);
        IInvocationHandler handler;
        try
        {
            handler = await initialise(stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            LogInitFailed(logger, ex.Message, ex);
            var category = ex is HandlerNotFoundException ? "Runtime.NoSuchHandler" : "Runtime.InitError";
            await api.ReportInitErrorAsync(LambdaError.From(ex, category), stopping).ConfigureAwait(false);
            return 1;
        }

        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var invocation = await api.NextAsync(stopping).ConfigureAwait(false);
                await InvokeAsync(handler, invocation, stopping).ConfigureAwait(false);
            }

            return 0;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception ex) when (ex is RuntimeApiException or HttpRequestException)
        {
            LogRuntimeApiFailed(logger, ex.Message, ex);
            return 1;
        }
    }

    private async Task InvokeAsync(IInvocationHandler handler, Invocation invocation, CancellationToken stopping)
    {
        // Where the X-Ray SDK and OpenTelemetry's AWS propagator look for the invocation's trace; the logs read it back.
        Environment.SetEnvironmentVariable(TraceIdVariable, invocation.TraceId);
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["AwsRequestId"] = invocation.RequestId, ["XRayTraceId"] = Environment.GetEnvironmentVariable(TraceIdVariable) });
        var remaining = invocation.Remaining(_time);
        var budget = remaining - AnswerMargin(remaining);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(budget > TimeSpan.Zero ? budget : TimeSpan.Zero);
        try
        {
            // WaitAsync: a handler that ignores its token still cannot hold the answer past the deadline.
            var started = _time.GetTimestamp();
            var body = await handler.HandleAsync(invocation, deadline.Token).WaitAsync(deadline.Token).ConfigureAwait(false);
            await api.RespondAsync(invocation.RequestId, body, stopping).ConfigureAwait(false);
            var elapsed = _time.GetElapsedTime(started);
            LogAnswered(logger, invocation.RequestId, elapsed.TotalMilliseconds, body.Length);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            LogDeadline(logger, invocation.RequestId, invocation.Deadline);

            // No stack trace: it would show only the runtime's own timer, and resolving it the first time reads the
            // PDBs, hundreds of milliseconds on a busy host, spent out of the margin that must carry the answer.
            var error = new LambdaError("DeadlineExceeded", $"The handler did not finish before the invocation deadline ({invocation.Deadline:O}).", [])
            {
                Category = "Runtime.DeadlineExceeded",
            };
            await api.ReportErrorAsync(invocation.RequestId, error, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RuntimeApiException && !stopping.IsCancellationRequested)
        {
            LogHandlerFailed(logger, ex.GetType().Name, ex.Message, ex);
            await api.ReportErrorAsync(invocation.RequestId, LambdaError.From(ex, "Unhandled"), stopping).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Invocation {RequestId} answered in {Milliseconds:0.0} ms ({Bytes} bytes)")]
    private static partial void LogAnswered(ILogger logger, string requestId, double milliseconds, int bytes);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Initialisation failed; reported to /init/error: {Reason}")]
    private static partial void LogInitFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The Runtime API failed; exiting for Lambda to restart the runtime: {Reason}")]
    private static partial void LogRuntimeApiFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Invocation {RequestId} ran past its deadline {Deadline:O}; reported as an error")]
    private static partial void LogDeadline(ILogger logger, string requestId, DateTimeOffset deadline);

    [LoggerMessage(Level = LogLevel.Error, Message = "The handler threw {ErrorType}: {Reason}")]
    private static partial void LogHandlerFailed(ILogger logger, string errorType, string reason, Exception exception);
}
