namespace Inference.Lambda.Runtime;

/// <summary>One event from <c>GET /runtime/invocation/next</c>, with the headers that describe it.</summary>
public sealed record Invocation(string RequestId, DateTimeOffset Deadline, string? FunctionArn, string? TraceId, ReadOnlyMemory<byte> Payload)
{
    /// <summary>Time left before Lambda stops the function, never negative.</summary>
    public TimeSpan Remaining(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var left = Deadline - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
