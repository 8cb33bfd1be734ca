using Inference.Core.Scheduling;
using Inference.Core.Tests.Scheduling.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Core.Tests.Scheduling;

/// <summary>
/// The scheduler alone, over a fake backend the test drives and a fake clock: which batches form, when they run, and
/// what happens on failures and stops is decided by events, never by timing.
/// </summary>
public sealed class BatchSchedulerTests : IAsyncDisposable
{
    private static readonly SlotWriter<FakeBatch, int> Write = static (batch, slot, value) => batch.Values[slot] = value;

    private readonly FakeTimeProvider _clock = new();
    private readonly List<BatchScheduler<FakeBatch, FakeOutput>> _schedulers = [];
    private readonly List<FakeInstance> _instances = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            // Let any blocked run finish so the scheduler can stop.
            for (var i = 0; i < 16; i++)
            {
                instance.Proceed();
            }
        }

        foreach (var scheduler in _schedulers)
        {
            await scheduler.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_lone_request_runs_at_once_when_an_instance_is_idle()
    {
        var (scheduler, instance, _) = Create(capacity: 8);

        var pending = Submit(scheduler, 7);
        var run = await instance.NextRunAsync();
        instance.Proceed();
        using var result = await pending;

        Assert.Equal([7], run.Values);
        Assert.Equal(1, run.Count);
        Assert.Equal(TimeSpan.Zero, result.QueueWait);
        Assert.Equal(70, result.Output.Values[result.Index]);
    }

    [Fact]
    public async Task Arrivals_gather_into_the_next_batch_while_the_instance_is_busy()
    {
        var (scheduler, instance, observer) = Create(capacity: 8);
        var first = Submit(scheduler, 1);
        await instance.NextRunAsync();

        var gathered = new[] { Submit(scheduler, 2), Submit(scheduler, 3), Submit(scheduler, 4) };
        _clock.Advance(TimeSpan.FromMilliseconds(5));
        instance.Proceed();
        var second = await instance.NextRunAsync();
        instance.Proceed();
        var results = await Task.WhenAll(gathered.Append(first));

        Assert.Equal([2, 3, 4], second.Values);
        Assert.Equal(3, second.Count);
        Assert.Equal([1, 3], observer.BatchSizes);
        Assert.Equal([20, 30, 40, 10], results.Select(r => r.Output.Values[r.Index]));
        Assert.All(results[..3], r => Assert.Equal(TimeSpan.FromMilliseconds(5), r.QueueWait));
        DisposeAll(results);
    }

    [Fact]
    public async Task Batches_never_exceed_their_capacity_and_run_in_arrival_order()
    {
        var (scheduler, instance, _) = Create(capacity: 2);
        var blocker = Submit(scheduler, 0);
        await instance.NextRunAsync();

        var waiting = Enumerable.Range(1, 5).Select(v => Submit(scheduler, v)).ToArray();
        var runs = new List<int[]>();
        for (var i = 0; i < 4; i++)
        {
            instance.Proceed();
            if (i < 3)
            {
                runs.Add((await instance.NextRunAsync()).Values);
            }
        }

        DisposeAll(await Task.WhenAll(waiting.Append(blocker)));
        Assert.Equal([[1, 2], [3, 4], [5]], runs);
    }

    [Fact]
    public async Task The_max_delay_holds_a_lone_request_for_company_on_the_clock()
    {
        var (scheduler, instance, _) = Create(capacity: 4, new BatchingOptions { MaxDelayMs = 100 });

        var lone = Submit(scheduler, 1);
        _clock.Advance(TimeSpan.FromMilliseconds(99));
        var company = Submit(scheduler, 2);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var run = await instance.NextRunAsync();
        instance.Proceed();
        var results = await Task.WhenAll(lone, company);

        Assert.Equal([1, 2], run.Values);
        Assert.Equal(TimeSpan.FromMilliseconds(100), results[0].QueueWait);
        Assert.Equal(TimeSpan.FromMilliseconds(1), results[1].QueueWait);
        DisposeAll(results);
    }

    [Fact]
    public async Task A_full_batch_runs_without_waiting_for_the_max_delay()
    {
        var (scheduler, instance, _) = Create(capacity: 2, new BatchingOptions { MaxDelayMs = 10_000 });

        var pair = new[] { Submit(scheduler, 1), Submit(scheduler, 2) };
        var run = await instance.NextRunAsync();
        instance.Proceed();

        Assert.Equal(2, run.Count);
        Assert.All(await Task.WhenAll(pair), r => Assert.Equal(TimeSpan.Zero, r.QueueWait));
    }

    [Fact]
    public async Task Each_instance_runs_its_own_batch_at_the_same_time()
    {
        var first = new FakeInstance();
        var second = new FakeInstance();
        var (scheduler, _, _) = Create(capacity: 4, instances: [first, second]);

        var a = Submit(scheduler, 1);
        var runA = await first.NextRunAsync();
        var b = Submit(scheduler, 2);
        var runB = await second.NextRunAsync();
        first.Proceed();
        second.Proceed();
        var results = await Task.WhenAll(a, b);

        Assert.Equal([1], runA.Values);
        Assert.Equal([2], runB.Values);
        Assert.Equal([0, 1], results.Select(r => r.Run.Instance));
        DisposeAll(results);
    }

    [Fact]
    public async Task A_lone_request_runs_on_the_lone_instance_with_every_core()
    {
        var (group, lone) = (new FakeInstance[] { new(), new() }, new FakeInstance());
        var (scheduler, _, _) = Create(capacity: 4, instances: group, lone: lone);

        // The first quiet dispatch goes to the group; the second in a row to the lone instance.
        var first = Submit(scheduler, 6);
        await group[0].NextRunAsync();
        group[0].Proceed();
        (await first).Dispose();
        var pending = Submit(scheduler, 7);
        var run = await lone.NextRunAsync();
        lone.Proceed();
        using var result = await pending;

        Assert.Equal([7], run.Values);
        Assert.Equal(2, result.Run.Instance);
        Assert.Equal((2, true), (scheduler.Instances, scheduler.HasLoneInstance));
        Assert.All(group, g => Assert.False(g.Started.Reader.TryRead(out _)));
    }

    [Fact]
    public async Task A_moment_of_quiet_under_load_does_not_take_the_lone_instance()
    {
        var (group, lone) = (new FakeInstance[] { new(), new() }, new FakeInstance());
        var (scheduler, _, _) = Create(capacity: 4, instances: group, lone: lone);
        await RunAloneAsync(scheduler, group[0], 0);
        await RunAloneAsync(scheduler, lone, 1);

        // An image with company resets the count: the next quiet one still goes to the group, the one after it alone.
        using (var admission = scheduler.Admit(2))
        {
            var busy = scheduler.SubmitAsync(admission, 2, Write);
            await group[0].NextRunAsync();
            group[0].Proceed();
            (await busy).Dispose();
        }

        var quiet = Submit(scheduler, 3);
        var onGroup = await group[0].NextRunAsync();
        group[0].Proceed();
        (await quiet).Dispose();
        await RunAloneAsync(scheduler, lone, 4);

        Assert.Equal([3], onGroup.Values);
    }

    [Fact]
    public async Task An_image_with_company_on_the_way_runs_on_the_group()
    {
        var (group, lone) = (new FakeInstance[] { new(), new() }, new FakeInstance());
        var (scheduler, _, _) = Create(capacity: 4, instances: group, lone: lone);

        // Two images admitted: while the first runs, the second is still decoding and will want a core.
        using var admission = scheduler.Admit(2);
        var first = scheduler.SubmitAsync(admission, 1, Write);
        var runFirst = await group[0].NextRunAsync();
        var second = scheduler.SubmitAsync(admission, 2, Write);
        var runSecond = await group[1].NextRunAsync();
        group[0].Proceed();
        group[1].Proceed();
        var results = await Task.WhenAll(first, second);

        Assert.Equal([1], runFirst.Values);
        Assert.Equal([2], runSecond.Values);
        Assert.Equal([0, 1], results.Select(r => r.Run.Instance));
        Assert.False(lone.Started.Reader.TryRead(out _));
        DisposeAll(results);
    }

    [Fact]
    public async Task Nothing_else_starts_while_the_lone_instance_runs()
    {
        var (group, lone) = (new FakeInstance[] { new(), new() }, new FakeInstance());
        var (scheduler, _, _) = Create(capacity: 4, instances: group, lone: lone);
        await RunAloneAsync(scheduler, group[0], 0);
        var first = Submit(scheduler, 1);
        await lone.NextRunAsync();

        // Idle group instances do not take these while the lone run has the cores: they gather into one batch,
        // which again holds every admitted image and so runs on the lone instance.
        var gathered = new[] { Submit(scheduler, 2), Submit(scheduler, 3) };
        lone.Proceed();
        var next = await lone.NextRunAsync();
        lone.Proceed();
        var results = await Task.WhenAll(gathered.Append(first));

        Assert.Equal([2, 3], next.Values);
        Assert.All(group, g => Assert.False(g.Started.Reader.TryRead(out _)));
        DisposeAll(results);
    }

    [Fact]
    public async Task Stopping_waits_for_the_lone_instance_to_finish_its_run()
    {
        var lone = new FakeInstance();
        var group = new FakeInstance();
        var (scheduler, _, _) = Create(capacity: 4, instances: [group, new FakeInstance()], lone: lone);
        await RunAloneAsync(scheduler, group, 4);
        var pending = Submit(scheduler, 5);
        await lone.NextRunAsync();

        var stop = scheduler.StopAsync();
        Assert.False(stop.IsCompleted);
        lone.Proceed();
        using var result = await pending;
        await stop.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(50, result.Output.Values[result.Index]);
    }

    [Fact]
    public async Task Admission_counts_images_before_their_slot_and_refuses_beyond_the_queue()
    {
        var (scheduler, instance, _) = Create(capacity: 8, new BatchingOptions { MaxQueue = 3 });

        // Two images of one request, still decoding: they count already.
        var decoding = scheduler.Admit(2);
        Assert.Equal(2, scheduler.QueuedImages);
        var one = scheduler.Admit(1);
        var refused = Assert.Throws<QueueFullException>(() => scheduler.Admit(1));
        Assert.Equal(3, refused.Capacity);
        Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1));

        // One decode failed (its unit comes back when the request ends); the other is served.
        var served = scheduler.SubmitAsync(decoding, 5, Write);
        await instance.NextRunAsync();
        decoding.Dispose();
        one.Dispose();
        Assert.Equal(0, scheduler.QueuedImages);
        instance.Proceed();
        (await served).Dispose();
        scheduler.Admit(3).Dispose();
    }

    [Fact]
    public async Task A_request_that_gives_up_before_its_batch_starts_is_dropped()
    {
        var (scheduler, instance, _) = Create(capacity: 8);
        var blocker = Submit(scheduler, 0);
        await instance.NextRunAsync();

        using var giveUp = new CancellationTokenSource();
        var kept = Submit(scheduler, 1);
        var abandoned = Submit(scheduler, 2, giveUp.Token);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Equal(1, scheduler.QueuedImages);

        instance.Proceed();
        var run = await instance.NextRunAsync();
        instance.Proceed();
        DisposeAll(await Task.WhenAll(kept, blocker));

        // The trailing slot that gave up is not run at all.
        Assert.Equal([1], run.Values);
        Assert.Equal(1, run.Count);
        Assert.Equal(0, scheduler.QueuedImages);
    }

    [Fact]
    public async Task A_slot_whose_write_fails_is_abandoned_and_its_batch_still_runs()
    {
        var (scheduler, instance, _) = Create(capacity: 8);
        var blocker = Submit(scheduler, 0);
        await instance.NextRunAsync();

        using (var admission = scheduler.Admit(1))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => scheduler.SubmitAsync<int>(admission, 0, (_, _, _) => throw new InvalidOperationException("letterbox failed")));
        }

        var good = Submit(scheduler, 3);
        instance.Proceed();
        var run = await instance.NextRunAsync();
        instance.Proceed();
        DisposeAll(await Task.WhenAll(good, blocker));

        Assert.Equal(2, run.Count);
        Assert.Equal(3, run.Values[1]);
        Assert.Equal(0, scheduler.QueuedImages);
    }

    [Fact]
    public async Task The_output_goes_back_when_the_last_slot_of_its_batch_lets_go()
    {
        var (scheduler, instance, _) = Create(capacity: 2, new BatchingOptions { MaxDelayMs = 10_000 });
        var pair = new[] { Submit(scheduler, 1), Submit(scheduler, 2) };
        await instance.NextRunAsync();
        instance.Proceed();
        var results = await Task.WhenAll(pair);
        var output = results[0].Output;

        results[0].Dispose();
        results[0].Dispose();
        Assert.False(output.Disposed);
        results[1].Dispose();
        Assert.True(output.Disposed);
    }

    [Fact]
    public async Task A_failed_run_fails_only_its_own_requests_and_the_runner_serves_the_next()
    {
        var (scheduler, instance, observer) = Create(capacity: 8);
        instance.Failures.Enqueue(new InvalidOperationException("out of device memory"));

        var failed = Submit(scheduler, 1);
        await instance.NextRunAsync();
        instance.Proceed();
        var failure = await Assert.ThrowsAsync<BatchFailedException>(() => failed);

        var next = Submit(scheduler, 2);
        await instance.NextRunAsync();
        instance.Proceed();
        using var served = await next;

        Assert.Contains("out of device memory", failure.Message, StringComparison.Ordinal);
        Assert.Equal(20, served.Output.Values[served.Index]);
        Assert.Equal(1, observer.Failures);
        Assert.Null(scheduler.Failure);
    }

    [Fact]
    public async Task Repeated_failures_fault_the_scheduler_and_fail_everything_waiting()
    {
        var (scheduler, instance, observer) = Create(capacity: 1, new BatchingOptions { MaxConsecutiveFailures = 2 });
        instance.Failures.Enqueue(new InvalidOperationException("first"));
        instance.Failures.Enqueue(new InvalidOperationException("second"));

        var first = Submit(scheduler, 1);
        await instance.NextRunAsync();
        var second = Submit(scheduler, 2);
        var waiting = Submit(scheduler, 3);
        instance.Proceed();
        await instance.NextRunAsync();
        instance.Proceed();

        await Assert.ThrowsAsync<BatchFailedException>(() => first);
        await Assert.ThrowsAsync<BatchFailedException>(() => second);
        var doomed = await Assert.ThrowsAsync<ModelFailedException>(() => waiting);
        var reason = await observer.Fault.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("2 batches in a row", reason, StringComparison.Ordinal);
        Assert.Equal(reason, doomed.Message);
        Assert.Equal(reason, scheduler.Failure);
        Assert.Throws<ModelFailedException>(() => scheduler.Admit(1));
        Assert.Equal(0, scheduler.QueuedImages);
    }

    [Fact]
    public async Task Running_out_of_memory_faults_at_once()
    {
        var (scheduler, instance, observer) = Create(capacity: 1, new BatchingOptions { MaxConsecutiveFailures = 100 });
#pragma warning disable CA2201 // The runtime's own exception is what a real out-of-memory run throws.
        instance.Failures.Enqueue(new OutOfMemoryException("host memory"));
#pragma warning restore CA2201

        var request = Submit(scheduler, 1);
        await instance.NextRunAsync();
        instance.Proceed();

        await Assert.ThrowsAsync<BatchFailedException>(() => request);
        Assert.Contains("out of memory", await observer.Fault.Task.WaitAsync(TimeSpan.FromSeconds(30)), StringComparison.Ordinal);
        Assert.Throws<ModelFailedException>(() => scheduler.Admit(1));
    }

    [Fact]
    public async Task A_runner_that_dies_faults_the_model_instead_of_leaving_it_silently_unserved()
    {
        var instance = new FakeInstance(blocking: false);
        var observer = new RecordingObserver { OnCompleted = _ => throw new InvalidOperationException("a bug after the run") };
        var (scheduler, _, _) = Create(capacity: 1, instances: [instance], observer: observer);

        var request = Submit(scheduler, 1);
        var reason = await observer.Fault.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("runner of instance 0 stopped: a bug after the run", reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ModelFailedException>(() => request);
        await Assert.ThrowsAsync<ModelFailedException>(() => Submit(scheduler, 2));
    }

    [Fact]
    public async Task Stopping_refuses_new_work_but_serves_every_image_admitted_before()
    {
        var (scheduler, instance, _) = Create(capacity: 8, new BatchingOptions { MaxDelayMs = 10_000 });

        // Admitted and still decoding when the stop begins.
        var decoding = scheduler.Admit(1);
        var waiting = Submit(scheduler, 1);
        var stop = scheduler.StopAsync();
        Assert.Throws<SchedulerStoppedException>(() => scheduler.Admit(1));

        var late = scheduler.SubmitAsync(decoding, 2, Write);
        decoding.Dispose();
        var runs = new List<int[]>();
        while (runs.Sum(r => r.Length) < 2)
        {
            runs.Add((await instance.NextRunAsync()).Values);
            instance.Proceed();
        }

        DisposeAll(await Task.WhenAll(waiting, late));
        await stop.WaitAsync(TimeSpan.FromSeconds(30));

        // The stop cut the 10 s delay short: nothing advanced the clock.
        Assert.Equal([1, 2], runs.SelectMany(r => r).Order());
    }

    private (BatchScheduler<FakeBatch, FakeOutput> Scheduler, FakeInstance Instance, RecordingObserver Observer) Create(
        int capacity, BatchingOptions? options = null, FakeInstance[]? instances = null, RecordingObserver? observer = null, FakeInstance? lone = null)
    {
        instances ??= [new FakeInstance()];
        observer ??= new RecordingObserver();
        _instances.AddRange(instances);
        if (lone is not null)
        {
            _instances.Add(lone);
        }

        var scheduler = new BatchScheduler<FakeBatch, FakeOutput>(new FakeBuffers(capacity), instances, options ?? new BatchingOptions(), _clock, observer, lone: lone);
        _schedulers.Add(scheduler);
        return (scheduler, instances[0], observer);
    }

    /// <summary>Runs one image by itself on <paramref name="instance"/> and waits for its answer.</summary>
    private static async Task RunAloneAsync(BatchScheduler<FakeBatch, FakeOutput> scheduler, FakeInstance instance, int value)
    {
        var pending = Submit(scheduler, value);
        Assert.Equal([value], (await instance.NextRunAsync()).Values);
        instance.Proceed();
        (await pending).Dispose();
    }

    private static Task<SlotResult<FakeOutput>> Submit(BatchScheduler<FakeBatch, FakeOutput> scheduler, int value, CancellationToken cancellationToken = default)
    {
        // The image's unit is taken when its slot is reserved, synchronously inside SubmitAsync.
        using var admission = scheduler.Admit(1);
        return scheduler.SubmitAsync(admission, value, Write, cancellationToken);
    }

    private static void DisposeAll(IEnumerable<SlotResult<FakeOutput>> results)
    {
        foreach (var result in results)
        {
            result.Dispose();
        }
    }
}
