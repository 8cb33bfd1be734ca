using System.Diagnostics;
using Inference.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inference.Core.Scheduling;

/// <summary>
/// Dynamic batching in Triton's shape, over opaque slots: it knows batches, slots and backend instances, never
/// images.
/// <list type="bullet">
/// <item>Eager: when an instance is idle, a committed slot runs at once. While every instance is busy, arrivals
/// gather into the next batch up to its capacity; <see cref="BatchingOptions.MaxDelayMs"/> is an optional extra
/// wait for company, as Triton's max_queue_delay.</item>
/// <item>Instance groups: one runner thread per backend instance, so one batch's copies overlap another's compute.</item>
/// <item>A lone instance (optional, for CPU instances that split the cores): it runs a batch only when that batch
/// holds every image admitted and the whole group is idle, for the second dispatch in a row, so a lone request gets
/// every core; while it runs, nothing else starts, and arrivals gather for the group.</item>
/// <item>Admission: <see cref="Admit"/> counts images from before their decode until their batch starts, against
/// <see cref="BatchingOptions.MaxQueue"/>; beyond it, <see cref="QueueFullException"/>.</item>
/// <item>Health: a dead runner, an out-of-memory run or <see cref="BatchingOptions.MaxConsecutiveFailures"/> failed
/// runs fault the scheduler: every waiting request fails and nothing new is admitted.</item>
/// <item>Stopping: new admissions are refused; everything admitted before is still served.</item>
/// </list>
/// All state changes happen under one lock; slot writes (the requests' own work) and model runs happen outside it.
/// </summary>
public sealed partial class BatchScheduler<TBatch, TOutput> : IAsyncDisposable
    where TBatch : class
    where TOutput : class, IDisposable
{
    /// <summary>Dispatches in a row that found the model otherwise idle before the lone instance takes one.</summary>
    public const int LoneAfterQuietDispatches = 2;

    private readonly Lock _lock = new();
    private readonly IBatchBuffers<TBatch> _buffers;
    private readonly Runner[] _runners;
    private readonly int _groupSize;
    private readonly Runner? _lone;
    private readonly Stack<Runner> _idle;
    private readonly Queue<Batch> _ready = new();
    private readonly BatchingOptions _options;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxDelay;
    private readonly IBatchObserver? _observer;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _delayTimer;
    private Task? _stop;
    private Batch? _forming;
    private int _queued;
    private bool _stopping;
    private string? _failure;
    private bool _loneBusy;
    private int _quietDispatches;
    private int _consecutiveFailures;
    private long _averageBatchTicks;

    public BatchScheduler(
        IBatchBuffers<TBatch> buffers,
        IReadOnlyList<IBatchInstance<TBatch, TOutput>> instances,
        BatchingOptions options,
        TimeProvider? time = null,
        IBatchObserver? observer = null,
        ILogger? logger = null,
        string name = "model",
        IBatchInstance<TBatch, TOutput>? lone = null)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfZero(instances.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(buffers.Capacity);
        _buffers = buffers;
        _options = options;
        _time = time ?? TimeProvider.System;
        _observer = observer;
        _logger = logger ?? NullLogger.Instance;
        _maxDelay = TimeSpan.FromMilliseconds(options.MaxDelayMs);
        Name = name;
        _groupSize = instances.Count;
        _runners = [.. instances.Append(lone).OfType<IBatchInstance<TBatch, TOutput>>().Select((instance, index) => new Runner(this, instance, index, name))];
        _lone = lone is null ? null : _runners[^1];
        _idle = new Stack<Runner>(_runners[.._groupSize].Reverse());
        foreach (var runner in _runners)
        {
            runner.Start();
        }
    }

    /// <summary>The model it schedules for, in spans and thread names.</summary>
    public string Name { get; }

    /// <summary>Slots per batch.</summary>
    public int MaxBatchSize => _buffers.Capacity;

    /// <summary>The instance group that shares the load (the lone instance not counted).</summary>
    public int Instances => _groupSize;

    public bool HasLoneInstance => _lone is not null;

    public BatchingOptions Options => _options;

    /// <summary>Images admitted and not yet running (decoding, writing their slot, or waiting for their batch).</summary>
    public int QueuedImages => Volatile.Read(ref _queued);

    /// <summary>Why the scheduler faulted, or null while it is healthy.</summary>
    public string? Failure
    {
        get
        {
            lock (_lock)
            {
                return _failure;
            }
        }
    }

    /// <summary>A guess at how long the current queue takes to drain, for Retry-After.</summary>
    public TimeSpan EstimatedDrainTime =>
        TimeSpan.FromTicks(Interlocked.Read(ref _averageBatchTicks) * (1 + (QueuedImages / (MaxBatchSize * Instances))));

    /// <summary>Counts <paramref name="images"/> against the queue before any work is done for them.</summary>
    /// <exception cref="QueueFullException">The queue is full.</exception>
    /// <exception cref="SchedulerStoppedException">The service is shutting down.</exception>
    /// <exception cref="ModelFailedException">The model can no longer serve.</exception>
    public Admission Admit(int images)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(images);
        lock (_lock)
        {
            ThrowIfUnavailable();
            if (_queued + images > _options.MaxQueue)
            {
                var retryAfter = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(EstimatedDrainTime.TotalSeconds)));
                throw new QueueFullException(_options.MaxQueue, retryAfter);
            }

            _queued += images;
        }

        return new Admission(this, images);
    }

    /// <summary>
    /// Reserves a slot for one admitted image, lets <paramref name="write"/> fill it on the calling thread, and waits
    /// for its batch. Cancellation drops the image if its batch has not started; once started, the result comes back
    /// and must be disposed.
    /// </summary>
    /// <exception cref="ModelFailedException">The model faulted.</exception>
    /// <exception cref="BatchFailedException">The backend failed to run this image's batch.</exception>
    public async Task<SlotResult<TOutput>> SubmitAsync<TState>(Admission admission, TState state, SlotWriter<TBatch, TState> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admission);
        ArgumentNullException.ThrowIfNull(write);
        cancellationToken.ThrowIfCancellationRequested();
        var item = Enqueue(admission, state, write);
        await using var registration = cancellationToken.UnsafeRegister(static (state, token) => ((Item)state!).Owner.Cancel((Item)state!, token), item).ConfigureAwait(false);
        return await item.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Refuses new work, runs everything admitted before, then ends the runners. Safe to call more than once.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_stop is null)
            {
                _stopping = true;
                TryDispatch();
                CheckDrained();
                _stop = Task.Run(StopRunnersAsync, CancellationToken.None);
            }
        }

        return _stop.WaitAsync(cancellationToken);
    }

    private async Task StopRunnersAsync()
    {
        await _drained.Task.ConfigureAwait(false);
        foreach (var runner in _runners)
        {
            runner.Exit();
        }

        await Task.WhenAll(_runners.Select(r => r.Stopped)).ConfigureAwait(false);
        foreach (var runner in _runners)
        {
            runner.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _delayTimer?.Dispose();
    }

    private void ThrowIfUnavailable()
    {
        if (_failure is not null)
        {
            throw new ModelFailedException(_failure);
        }

        if (_stopping)
        {
            throw new SchedulerStoppedException();
        }
    }

    private Item Enqueue<TState>(Admission admission, TState state, SlotWriter<TBatch, TState> write)
    {
        Batch batch;
        Item item;
        lock (_lock)
        {
            admission.TakeOne();

            // A stop does not refuse admitted work: the graceful-shutdown promise covers requests still decoding.
            if (_failure is not null)
            {
                Release(1);
                throw new ModelFailedException(_failure);
            }

            batch = _forming ??= new Batch(_buffers.Rent(), MaxBatchSize);
            item = new Item(this, batch, batch.Reserved, Activity.Current?.Context ?? default);
            batch.Items[batch.Reserved++] = item;
            if (batch.Reserved == MaxBatchSize)
            {
                batch.Closed = true;
                _forming = null;
                _ready.Enqueue(batch);
                TryDispatch();
            }
        }

        try
        {
            write(batch.Buffer, item.Slot, state);
        }
        catch
        {
            lock (_lock)
            {
                Settle(batch);
                if (item.State == ItemState.Reserved)
                {
                    item.State = ItemState.Abandoned;
                    Release(1);
                }
            }

            throw;
        }

        lock (_lock)
        {
            Settle(batch);
            if (item.State == ItemState.Reserved)
            {
                item.State = ItemState.Committed;
                item.CommittedAt = _time.GetUtcNow();
                if (batch.Committed++ == 0)
                {
                    batch.FirstCommit = _time.GetTimestamp();
                }

                TryDispatch();
            }
        }

        return item;
    }

    private void Cancel(Item item, CancellationToken token)
    {
        lock (_lock)
        {
            if (item.State != ItemState.Committed)
            {
                return;
            }

            item.State = ItemState.Cancelled;
            Release(1);
        }

        item.Completion.TrySetCanceled(token);
    }

    /// <summary>Gives waiting batches to idle runners. Called under the lock whenever either side changes.</summary>
    private void TryDispatch()
    {
        if (_failure is not null)
        {
            return;
        }

        // The lone instance has every core while it runs.
        while (_idle.Count > 0 && !_loneBusy)
        {
            Batch next;
            if (_ready.Count > 0)
            {
                next = _ready.Dequeue();
            }
            else if (_forming is { Committed: > 0 } forming)
            {
                var waited = _time.GetElapsedTime(forming.FirstCommit);
                if (!_stopping && waited < _maxDelay)
                {
                    ArmDelayTimer(_maxDelay - waited);
                    return;
                }

                forming.Closed = true;
                _forming = null;
                next = forming;
            }
            else
            {
                return;
            }

            // A moment's quiet under load is common (the other clients are between answer and next request), so the
            // lone instance waits for a second quiet dispatch in a row: under load it would take every core just
            // when the next arrivals need one.
            var quiet = _idle.Count == _groupSize && HoldsEveryAdmittedImage(next);
            _quietDispatches = quiet ? _quietDispatches + 1 : 0;
            if (_lone is not null && _quietDispatches >= LoneAfterQuietDispatches)
            {
                _loneBusy = true;
                _lone.Assign(next);
                return;
            }

            _idle.Pop().Assign(next);
        }
    }

    /// <summary>Whether no other admitted image is decoding, writing or waiting: nobody would share the cores. Under the lock.</summary>
    private bool HoldsEveryAdmittedImage(Batch batch)
    {
        var pending = 0;
        foreach (var item in batch.Items.AsSpan(0, batch.Reserved))
        {
            if (item!.State is ItemState.Reserved or ItemState.Committed)
            {
                pending++;
            }
        }

        return pending == _queued;
    }

    private void ArmDelayTimer(TimeSpan due)
    {
        _delayTimer ??= _time.CreateTimer(
            static state =>
            {
                var scheduler = (BatchScheduler<TBatch, TOutput>)state!;
                lock (scheduler._lock)
                {
                    scheduler.TryDispatch();
                }
            },
            this,
            Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);
        _delayTimer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private static void Settle(Batch batch)
    {
        batch.Settled++;
        if (batch.Closed && batch.Settled == batch.Reserved)
        {
            batch.SettledSignal?.Set();
        }
    }

    /// <summary>Takes images out of the queue count (they started, gave up or failed). Under the lock.</summary>
    private void Release(int images)
    {
        _queued -= images;
        CheckDrained();
    }

    private void CheckDrained()
    {
        // After a fault a runner may be gone for good, so only the queue counts.
        if (_queued == 0 && ((_stopping && _idle.Count == _groupSize && !_loneBusy) || _failure is not null))
        {
            if (_forming is { } leftover)
            {
                // Only given-up slots remain in it.
                _forming = null;
                _buffers.Release(leftover.Buffer);
            }

            _drained.TrySetResult();
        }
    }

    private void Execute(Runner runner, Batch batch)
    {
        WaitUntilSettled(batch);
        var live = new List<Item>(batch.Reserved);
        lock (_lock)
        {
            foreach (var item in batch.Items.AsSpan(0, batch.Reserved))
            {
                if (item!.State == ItemState.Committed)
                {
                    item.State = ItemState.Started;
                    live.Add(item);
                }
            }

            _queued -= live.Count;
        }

        if (live.Count == 0)
        {
            _buffers.Release(batch.Buffer);
            return;
        }

        runner.InFlight = live;

        // Slots of requests that gave up stay in place and run with the rest: cheaper than moving the others.
        var count = live[^1].Slot + 1;
        var startedAt = _time.GetUtcNow();
        var start = _time.GetTimestamp();
        TOutput output;
        using (var activity = InferenceTelemetry.Source.StartActivity("inference.batch", ActivityKind.Internal, live[0].Parent, links: live.Select(l => new ActivityLink(l.Parent))))
        {
            activity?.SetTag("model", Name).SetTag("batch.size", count).SetTag("batch.instance", runner.Index);
            try
            {
                output = runner.Instance.Run(batch.Buffer, count);
            }
            catch (Exception ex)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                _buffers.Release(batch.Buffer);
                runner.InFlight = null;
                RunFailed(live, count, ex);
                return;
            }
        }

        _buffers.Release(batch.Buffer);
        var duration = _time.GetElapsedTime(start);
        lock (_lock)
        {
            _consecutiveFailures = 0;
        }

        UpdateAverage(duration);
        _observer?.BatchCompleted(count, duration);
        var shared = new SharedOutput<TOutput>(output, live.Count);
        var run = new BatchRun(startedAt, duration, count, runner.Index);
        foreach (var item in live)
        {
            item.Completion.TrySetResult(new SlotResult<TOutput>(shared, item.Slot, run, item.CommittedAt));
        }

        runner.InFlight = null;
    }

    private void WaitUntilSettled(Batch batch)
    {
        ManualResetEventSlim signal;
        lock (_lock)
        {
            if (batch.Settled == batch.Reserved)
            {
                return;
            }

            // Reserved slots are mid-write on their request threads (a letterbox: CPU work, never I/O).
            signal = batch.SettledSignal ??= new ManualResetEventSlim();
        }

        signal.Wait();
        signal.Dispose();
    }

    private void RunFailed(List<Item> live, int count, Exception exception)
    {
        LogBatchFailed(_logger, count, exception);
        _observer?.BatchFailed(count, exception);
        var failure = new BatchFailedException($"The model failed to run a batch of {count}: {exception.Message}", exception);
        foreach (var item in live)
        {
            item.Completion.TrySetException(failure);
        }

        bool fault;
        lock (_lock)
        {
            fault = exception is OutOfMemoryException || ++_consecutiveFailures >= _options.MaxConsecutiveFailures;
        }

        if (fault)
        {
            Fault(exception is OutOfMemoryException
                ? $"The model ran out of memory: {exception.Message}"
                : $"The model failed {_options.MaxConsecutiveFailures} batches in a row; the last error: {exception.Message}", exception);
        }
    }

    /// <summary>Marks the scheduler failed and fails every image still waiting, and those of a run that died with its runner.</summary>
    private void Fault(string reason, Exception? exception, List<Item>? inFlight = null)
    {
        var doomed = new List<Item>(inFlight ?? []);
        lock (_lock)
        {
            if (_failure is not null)
            {
                return;
            }

            _failure = reason;
            foreach (var batch in _ready.Append(_forming))
            {
                foreach (var item in batch?.Items ?? [])
                {
                    if (item is { State: ItemState.Reserved or ItemState.Committed })
                    {
                        item.State = ItemState.Failed;
                        doomed.Add(item);
                    }
                }
            }

            // Their buffers are dropped, not pooled: a slot may still be mid-write.
            _ready.Clear();
            _forming = null;
            Release(doomed.Count - (inFlight?.Count ?? 0));
        }

        LogFaulted(_logger, reason, exception);
        var failure = exception is null ? new ModelFailedException(reason) : new ModelFailedException(reason, exception);
        foreach (var item in doomed)
        {
            item.Completion.TrySetException(failure);
        }

        _observer?.Faulted(reason);
    }

    private void RunnerIdle(Runner runner)
    {
        lock (_lock)
        {
            if (ReferenceEquals(runner, _lone))
            {
                _loneBusy = false;
            }
            else
            {
                _idle.Push(runner);
            }

            TryDispatch();
            CheckDrained();
        }
    }

    private void UpdateAverage(TimeSpan duration)
    {
        var previous = Interlocked.Read(ref _averageBatchTicks);
        Interlocked.Exchange(ref _averageBatchTicks, previous == 0 ? duration.Ticks : ((previous * 7) + duration.Ticks) / 8);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {BatchSize} failed in the model")]
    private static partial void LogBatchFailed(ILogger logger, int batchSize, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The model can no longer serve: {Reason}")]
    private static partial void LogFaulted(ILogger logger, string reason, Exception? exception);

    /// <summary>Images a request may still submit; what it does not submit goes back to the queue on dispose.</summary>
    public sealed class Admission : IDisposable
    {
        private readonly BatchScheduler<TBatch, TOutput> _owner;
        private int _remaining;

        internal Admission(BatchScheduler<TBatch, TOutput> owner, int images)
        {
            _owner = owner;
            _remaining = images;
        }

        /// <summary>
        /// Makes room for <paramref name="images"/> in all, admitting the difference against the queue: a front end
        /// admits a request before reading its body, and the rest once it knows how many images came.
        /// </summary>
        /// <exception cref="QueueFullException">The queue has no room for the rest.</exception>
        public void EnsureRoomFor(int images)
        {
            lock (_owner._lock)
            {
                var missing = images - _remaining;
                if (missing <= 0)
                {
                    return;
                }

                _owner.ThrowIfUnavailable();
                if (_owner._queued + missing > _owner._options.MaxQueue)
                {
                    var retryAfter = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(_owner.EstimatedDrainTime.TotalSeconds)));
                    throw new QueueFullException(_owner._options.MaxQueue, retryAfter);
                }

                _owner._queued += missing;
                _remaining += missing;
            }
        }

        internal void TakeOne()
        {
            if (_remaining == 0)
            {
                throw new InvalidOperationException("The admission has no image left to submit.");
            }

            _remaining--;
        }

        public void Dispose()
        {
            lock (_owner._lock)
            {
                if (_remaining > 0)
                {
                    _owner.Release(_remaining);
                    _remaining = 0;
                }
            }
        }
    }

    private enum ItemState
    {
        Reserved,
        Committed,
        Started,
        Cancelled,
        Abandoned,
        Failed,
    }

    private sealed class Item(BatchScheduler<TBatch, TOutput> owner, Batch batch, int slot, ActivityContext parent)
    {
        public BatchScheduler<TBatch, TOutput> Owner { get; } = owner;

        public Batch Batch { get; } = batch;

        public int Slot { get; } = slot;

        public ActivityContext Parent { get; } = parent;

        public ItemState State { get; set; }

        public DateTimeOffset CommittedAt { get; set; }

        public TaskCompletionSource<SlotResult<TOutput>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Batch(TBatch buffer, int capacity)
    {
        public TBatch Buffer { get; } = buffer;

        public Item?[] Items { get; } = new Item?[capacity];

        public int Reserved { get; set; }

        public int Settled { get; set; }

        public int Committed { get; set; }

        /// <summary>When its first slot was committed: the max-delay clock starts here.</summary>
        public long FirstCommit { get; set; }

        public bool Closed { get; set; }

        public ManualResetEventSlim? SettledSignal { get; set; }
    }

    /// <summary>A dedicated thread per backend instance: model runs block, and must not hold pool threads.</summary>
    private sealed class Runner(BatchScheduler<TBatch, TOutput> owner, IBatchInstance<TBatch, TOutput> instance, int index, string name) : IDisposable
    {
        private readonly SemaphoreSlim _signal = new(0);
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Batch? _assigned;
        private bool _exit;

        public IBatchInstance<TBatch, TOutput> Instance { get; } = instance;

        public int Index { get; } = index;

        public Task Stopped => _stopped.Task;

        /// <summary>The images of the run in progress, failed with the model if the runner dies before answering them.</summary>
        public List<Item>? InFlight { get; set; }

        public void Start() =>
            new Thread(Loop) { IsBackground = true, Name = $"runner {name}#{Index}" }.Start();

        /// <summary>Under the owner's lock.</summary>
        public void Assign(Batch batch)
        {
            _assigned = batch;
            _signal.Release();
        }

        public void Dispose() => _signal.Dispose();

        public void Exit()
        {
            lock (owner._lock)
            {
                _exit = true;
            }

            _signal.Release();
        }

        private void Loop()
        {
            try
            {
                while (true)
                {
                    _signal.Wait();
                    Batch? batch;
                    lock (owner._lock)
                    {
                        batch = _assigned;
                        _assigned = null;
                        if (batch is null && _exit)
                        {
                            return;
                        }
                    }

                    if (batch is not null)
                    {
                        owner.Execute(this, batch);
                        owner.RunnerIdle(this);
                    }
                }
            }
            catch (Exception ex)
            {
                // A bug, never a failed run (those are handled per batch): this instance is gone, so the model is.
                owner.Fault($"The runner of instance {Index} stopped: {ex.Message}", ex, InFlight);
            }
            finally
            {
                _stopped.TrySetResult();
            }
        }
    }
}
