using Inference.Api.Detection;
using Inference.Api.Hosting;
using Inference.Core.Repository;
using Inference.Core.Serving;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Api.Tests;

/// <summary>Memory is given back once per quiet spell after traffic, never under load, decided on a fake clock.</summary>
public sealed class IdleMemoryReleaseTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new();
    private readonly RequestActivity _activity = new();
    private IdleMemoryRelease _release = null!;
    private int _released;

    public async Task InitializeAsync()
    {
        var models = new ModelRepository(new ModelRepositoryOptions(), null!, null!, ".", NullLogger<ModelRepository>.Instance);
        _release = new IdleMemoryRelease(_activity, models, new RequestBuffers(new LimitsOptions()), Options.Create(new MemoryOptions { IdleReleaseSeconds = 10 }), _clock, NullLogger<IdleMemoryRelease>.Instance)
        {
            Release = () => Interlocked.Increment(ref _released),
        };
        await _release.StartAsync(CancellationToken.None);
        await _release.Watching.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync() => await _release.StopAsync(CancellationToken.None);

    [Fact]
    public async Task Without_traffic_nothing_is_released()
    {
        await TicksAsync(6);

        Assert.Equal(0, _released);
    }

    [Fact]
    public async Task After_traffic_memory_is_released_once_when_the_quiet_lasts_the_configured_time()
    {
        Request();
        await TicksAsync(1);
        await TicksAsync(1);
        Assert.Equal(0, _released);

        await TicksAsync(1);
        await TicksAsync(4);

        Assert.Equal(1, _released);
    }

    [Fact]
    public async Task Steady_traffic_or_a_request_in_flight_holds_the_release_off()
    {
        for (var i = 0; i < 5; i++)
        {
            Request();
            await TicksAsync(1);
        }

        _activity.Started();
        await TicksAsync(4);
        Assert.Equal(0, _released);

        _activity.Ended();
        await TicksAsync(4);
        Assert.Equal(1, _released);
    }

    private void Request()
    {
        _activity.Started();
        _activity.Ended();
    }

    /// <summary>Advances the clock by whole ticks (half the idle time each) and waits until the loop has judged each one.</summary>
    private async Task TicksAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(5));
            Assert.True(await _release.Ticks.WaitAsync(TimeSpan.FromSeconds(30)), "The release loop did not see the tick.");
        }
    }
}
