using System.Diagnostics;

namespace Inference.Core.Telemetry;

/// <summary>The activity source for per-stage spans; hosts add <see cref="SourceName"/> to their tracer.</summary>
public static class InferenceTelemetry
{
    public const string SourceName = "Inference.Core";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Records a span after the fact, for stages timed by the pipeline itself (queue wait, for one).</summary>
    public static void RecordSpan(string name, DateTimeOffset start, DateTimeOffset end, ActivityContext parent = default, IEnumerable<KeyValuePair<string, object?>>? tags = null)
    {
        using var activity = Source.StartActivity(name, ActivityKind.Internal, parent, tags, startTime: start);
        activity?.SetEndTime(end.UtcDateTime);
    }
}
