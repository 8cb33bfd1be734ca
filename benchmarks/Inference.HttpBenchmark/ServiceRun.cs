using System.Globalization;
using Inference.Testing;

namespace Inference.HttpBenchmark;

/// <summary>The service's resident memory while it runs: idle before load, the peak under load, and how fast it comes back.</summary>
internal sealed class ResidentSampler(int pid) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _sampling;
    private long _peak;

    public long Peak => Interlocked.Read(ref _peak);

    public long Current => ProcessStats.ResidentBytes(pid);

    /// <summary>Samples every 50 ms until disposed; the peak is the highest sample.</summary>
    public void Start()
    {
        _peak = Current;
        _sampling = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var now = Current;
                if (now > Interlocked.Read(ref _peak))
                {
                    Interlocked.Exchange(ref _peak, now);
                }

                try
                {
                    await Task.Delay(50, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    /// <summary>Seconds until the resident size falls to <paramref name="target"/> bytes, polling each second; null when it did not within the patience.</summary>
    public async Task<(TimeSpan? Until, long Final)> WaitForAsync(long target, TimeSpan patience)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed <= patience)
        {
            var now = Current;
            if (now <= target)
            {
                return (clock.Elapsed, now);
            }

            await Task.Delay(1000);
        }

        return (null, Current);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_sampling is not null)
        {
            await _sampling;
        }

        _stop.Dispose();
    }

    public static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0", CultureInfo.InvariantCulture);
}
