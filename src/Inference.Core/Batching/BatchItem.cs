using System.Diagnostics;
using Inference.Core.Imaging;

namespace Inference.Core.Batching;

/// <summary>One image waiting in a batch slot, with the promise its request awaits.</summary>
internal sealed class BatchItem(int slot, LetterboxTransform transform, double decodeMs, double preprocessMs, ActivityContext parent)
{
    private const int Waiting = 0;
    private const int Started = 1;
    private const int Cancelled = 2;
    private int _state;

    public int Slot { get; } = slot;

    public LetterboxTransform Transform { get; } = transform;

    public double DecodeMs { get; } = decodeMs;

    public double PreprocessMs { get; } = preprocessMs;

    public ActivityContext Parent { get; } = parent;

    public DateTimeOffset ReadyAt { get; } = DateTimeOffset.UtcNow;

    public TaskCompletionSource<BatchedInference> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Claims the item for a run; false when its request gave up first.</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Waiting) == Waiting;

    /// <summary>Drops the item if it has not started; false when it is already running.</summary>
    public bool TryCancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Waiting) != Waiting)
        {
            return false;
        }

        Completion.TrySetCanceled(token);
        return true;
    }
}
