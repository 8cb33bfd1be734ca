using System.Diagnostics;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Pipeline;
using Inference.Core.Postprocessing;
using Inference.Core.Telemetry;

namespace Inference.Core.Batching;

/// <summary>
/// One image's share of a batch run: its slice of the shared output, its letterbox transform and its timings.
/// Post-processing happens here, on the request's own thread, so the batch runner is free for the next batch.
/// Dispose it to release the shared output.
/// </summary>
public sealed class BatchedInference : IDisposable
{
    private readonly DetectionPipeline _pipeline;
    private SharedOutput? _output;

    internal BatchedInference(DetectionPipeline pipeline, SharedOutput output, int index, BatchItem item, BatchRun run)
    {
        _pipeline = pipeline;
        _output = output;
        Index = index;
        Transform = item.Transform;
        DecodeMs = item.DecodeMs;
        PreprocessMs = item.PreprocessMs;
        QueueStartedAt = item.ReadyAt;
        QueueMs = (run.StartedAt - item.ReadyAt).TotalMilliseconds;
        Run = run;
    }

    public LetterboxTransform Transform { get; }

    public int Width => Transform.SourceWidth;

    public int Height => Transform.SourceHeight;

    public double DecodeMs { get; }

    public double PreprocessMs { get; }

    /// <summary>From the image's slot being ready to its batch starting.</summary>
    public double QueueMs { get; }

    public double InferenceMs => Run.Duration.TotalMilliseconds;

    public int BatchSize => Run.Size;

    public double PostprocessMs { get; private set; }

    internal DateTimeOffset QueueStartedAt { get; }

    internal BatchRun Run { get; }

    private int Index { get; }

    public IReadOnlyList<Detection> Postprocess(DetectionOptions options)
    {
        var output = _output ?? throw new ObjectDisposedException(nameof(BatchedInference));
        RecordWaitSpans();
        var start = Stopwatch.GetTimestamp();
        var detections = _pipeline.Postprocess(output.Output, Index, Transform, options);
        PostprocessMs = DetectionPipeline.Milliseconds(start, Stopwatch.GetTimestamp());
        return detections;
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _output, null)?.Release();
    }

    // The request's own trace shows where its time went while it waited for the shared batch.
    private void RecordWaitSpans()
    {
        if (Activity.Current is null || !InferenceTelemetry.Source.HasListeners())
        {
            return;
        }

        var parent = Activity.Current.Context;
        InferenceTelemetry.RecordSpan("queue", QueueStartedAt, Run.StartedAt, parent);
        InferenceTelemetry.RecordSpan("inference", Run.StartedAt, Run.StartedAt + Run.Duration, parent, [new("batch.size", Run.Size)]);
    }
}

/// <summary>When a batch ran and for how long.</summary>
internal sealed record BatchRun(DateTimeOffset StartedAt, TimeSpan Duration, int Size);

/// <summary>A batch output shared by the images of one run; returned to the pool when the last one lets go.</summary>
internal sealed class SharedOutput(DetectorOutput output, int references)
{
    private int _references = references;

    public DetectorOutput Output { get; } = output;

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Output.Dispose();
        }
    }
}
