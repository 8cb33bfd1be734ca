using System.Diagnostics;
using System.Threading.Channels;
using Inference.Core.Model;
using Inference.Core.Pipeline;
using Inference.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inference.Core.Batching;

/// <summary>
/// Dynamic batching with Triton's semantics. Request threads decode their image, reserve a slot in the batch being
/// formed and letterbox straight into it, in parallel. One runner per session takes batches in order: a full batch
/// runs at once; otherwise it waits until the oldest image has waited <see cref="BatchingOptions.MaxDelayMs"/>.
/// The runner only runs the model: no I/O, no post-processing (each request does its own on its own thread).
/// Admission is bounded by <see cref="BatchingOptions.MaxQueue"/>; a request that gives up before its batch starts
/// is dropped from it.
/// </summary>
public sealed partial class DynamicBatcher : IAsyncDisposable
{
    private readonly DetectionPipeline _pipeline;
    private readonly BatchingOptions _options;
    private readonly IBatchObserver? _observer;
    private readonly ILogger _logger;
    private readonly Channel<PendingBatch> _batches = Channel.CreateUnbounded<PendingBatch>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private readonly TimeSpan _maxDelay;
    private readonly Task _runner;
    private readonly TaskCompletionSource _stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PendingBatch? _open;
    private int _queued;
    private bool _stopped;
    private long _averageBatchTicks;

    public DynamicBatcher(DetectionPipeline pipeline, BatchingOptions options, IBatchObserver? observer = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _pipeline = pipeline;
        _options = options;
        _observer = observer;
        _logger = logger ?? NullLogger.Instance;
        _maxDelay = TimeSpan.FromMilliseconds(options.MaxDelayMs);
        // A static model batch caps it: a static batch of one means every image is its own run.
        MaxBatchSize = Math.Min(options.MaxBatchSize, pipeline.Detector.StaticBatchSize ?? int.MaxValue);

        _runner = Task.Run(RunAsync);
    }

    /// <summary>The effective maximum: the configured one, capped by a static model batch.</summary>
    public int MaxBatchSize { get; }

    public BatchingOptions Options => _options;

    /// <summary>Images admitted and not yet running.</summary>
    public int QueuedImages => Volatile.Read(ref _queued);

    /// <summary>A guess at how long the current queue takes to drain, for Retry-After.</summary>
    public TimeSpan EstimatedDrainTime =>
        TimeSpan.FromTicks(Interlocked.Read(ref _averageBatchTicks) * (1 + (QueuedImages / MaxBatchSize)));

    /// <summary>
    /// Decodes <paramref name="image"/> on the calling thread, letterboxes it into a batch slot and waits for its batch.
    /// </summary>
    /// <exception cref="QueueFullException">The queue is full.</exception>
    /// <exception cref="BatcherStoppedException">The service is shutting down.</exception>
    /// <exception cref="Imaging.ImageDecodeException">The bytes are not an acceptable image.</exception>
    /// <exception cref="OperationCanceledException">The request gave up before its batch started.</exception>
    public async Task<BatchedInference> InferAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Admit();
        var counted = true;
        try
        {
            var item = Prepare(image, cancellationToken);
            counted = false; // the item now owns its place in the queue count
            await using var registration = cancellationToken.Register(CancelItem, item).ConfigureAwait(false);
            return await item.Completion.Task.ConfigureAwait(false);
        }
        finally
        {
            if (counted)
            {
                Interlocked.Decrement(ref _queued);
            }
        }
    }

    /// <summary>Stops taking work, runs every batch already formed, then ends the runner.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _stopped = true;
            _batches.Writer.TryComplete();
        }

        _stopping.TrySetResult();

        await _runner.ConfigureAwait(false);
    }

    private void Admit()
    {
        if (Volatile.Read(ref _stopped))
        {
            throw new BatcherStoppedException();
        }

        if (Interlocked.Increment(ref _queued) > _options.MaxQueue)
        {
            Interlocked.Decrement(ref _queued);
            throw new QueueFullException(_options.MaxQueue, TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(EstimatedDrainTime.TotalSeconds))));
        }
    }

    private BatchItem Prepare(ReadOnlyMemory<byte> image, CancellationToken cancellationToken)
    {
        var (decoded, decodeMs) = _pipeline.Decode(image, cancellationToken);
        using (decoded)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (batch, slot) = Reserve();
            BatchItem? item = null;
            try
            {
                var (transform, preprocessMs) = _pipeline.Letterbox(decoded, batch.Tensor.Slot(slot));
                item = new BatchItem(slot, transform, decodeMs, preprocessMs, Activity.Current?.Context ?? default);
                return item;
            }
            finally
            {
                Settle(batch, slot, item);
            }
        }
    }

    private void CancelItem(object? state)
    {
        var item = (BatchItem)state!;
        if (item.TryCancel(CancellationToken.None))
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    private (PendingBatch Batch, int Slot) Reserve()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                throw new BatcherStoppedException();
            }

            if (_open is null || _open.Closed || _open.Reserved == MaxBatchSize)
            {
                _open = new PendingBatch(_pipeline.Detector.RentBatch(MaxBatchSize));
                _batches.Writer.TryWrite(_open);
            }

            var batch = _open;
            var slot = batch.Reserved++;
            if (batch.Reserved == MaxBatchSize)
            {
                batch.Full.TrySetResult();
            }

            return (batch, slot);
        }
    }

    /// <summary>Records a reserved slot as filled (or, with a null item, abandoned).</summary>
    private void Settle(PendingBatch batch, int slot, BatchItem? item)
    {
        lock (_lock)
        {
            batch.Items[slot] = item;
            batch.Settled++;
            if (batch.Closed && batch.Settled == batch.Reserved)
            {
                batch.AllSettled.TrySetResult();
            }
        }
    }

    private async Task RunAsync()
    {
        await foreach (var batch in _batches.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await WaitUntilFullOrDueAsync(batch).ConfigureAwait(false);
                await CloseAsync(batch).ConfigureAwait(false);
                Execute(batch);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A failed run (a GPU out of memory, a bug) fails its own requests; the runner lives on for the next batch.
                LogBatchFailed(_logger, batch.Reserved, ex);
                _observer?.BatchFailed(batch.Reserved, ex);
                batch.Tensor.Dispose();
                foreach (var item in batch.Items)
                {
                    if (item?.TryStart() == true)
                    {
                        Interlocked.Decrement(ref _queued);
                    }

                    item?.Completion.TrySetException(ex);
                }
            }
        }
    }

    private async Task WaitUntilFullOrDueAsync(PendingBatch batch)
    {
        var remaining = _maxDelay - Stopwatch.GetElapsedTime(batch.CreatedAt);
        if (remaining > TimeSpan.Zero && !batch.Full.Task.IsCompleted && !_stopping.Task.IsCompleted)
        {
            // Stopping cuts the wait short: nobody else is going to join this batch.
            await Task.WhenAny(batch.Full.Task, Task.Delay(remaining), _stopping.Task).ConfigureAwait(false);
        }
    }

    private async Task CloseAsync(PendingBatch batch)
    {
        bool settled;
        lock (_lock)
        {
            batch.Closed = true;
            if (ReferenceEquals(_open, batch))
            {
                _open = null;
            }

            settled = batch.Settled == batch.Reserved;
        }

        // Reserved slots are mid-letterbox (sub-millisecond CPU work on their request threads), never waiting on I/O.
        if (!settled)
        {
            await batch.AllSettled.Task.ConfigureAwait(false);
        }
    }

    private void Execute(PendingBatch batch)
    {
        using var tensor = batch.Tensor;
        var live = new List<BatchItem>(batch.Reserved);
        foreach (var item in batch.Items.AsSpan(0, batch.Reserved))
        {
            if (item is not null && item.TryStart())
            {
                Interlocked.Decrement(ref _queued);
                live.Add(item);
            }
        }

        if (live.Count == 0)
        {
            return;
        }

        // Close the holes left by requests that gave up, so the model runs only live images.
        for (var i = 0; i < live.Count; i++)
        {
            if (live[i].Slot != i)
            {
                tensor.Slot(live[i].Slot).CopyTo(tensor.Slot(i));
            }
        }

        var startedAt = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        DetectorOutput output;
        using (var activity = InferenceTelemetry.Source.StartActivity("inference.batch", ActivityKind.Internal, live[0].Parent, links: live.Select(l => new ActivityLink(l.Parent))))
        {
            activity?.SetTag("batch.size", live.Count);
            try
            {
                output = _pipeline.Detector.Run(tensor, live.Count);
            }
            catch (Exception ex)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                throw;
            }
        }

        var duration = Stopwatch.GetElapsedTime(start);
        UpdateAverage(duration);
        _observer?.BatchCompleted(live.Count, duration);
        var run = new BatchRun(startedAt, duration, live.Count);
        var shared = new SharedOutput(output, live.Count);
        for (var i = 0; i < live.Count; i++)
        {
            live[i].Completion.TrySetResult(new BatchedInference(_pipeline, shared, i, live[i], run));
        }
    }

    private void UpdateAverage(TimeSpan duration)
    {
        var previous = Interlocked.Read(ref _averageBatchTicks);
        Interlocked.Exchange(ref _averageBatchTicks, previous == 0 ? duration.Ticks : ((previous * 7) + duration.Ticks) / 8);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {BatchSize} failed in the model")]
    private static partial void LogBatchFailed(ILogger logger, int batchSize, Exception exception);

    /// <summary>A batch being formed: a pooled tensor and the items in its slots.</summary>
    private sealed class PendingBatch(BatchTensor tensor)
    {
        public BatchTensor Tensor { get; } = tensor;

        public BatchItem?[] Items { get; } = new BatchItem?[tensor.BatchSize];

        /// <summary>When the first image arrived: the max-delay clock starts here.</summary>
        public long CreatedAt { get; } = Stopwatch.GetTimestamp();

        public int Reserved { get; set; }

        public int Settled { get; set; }

        public bool Closed { get; set; }

        public TaskCompletionSource Full { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource AllSettled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
