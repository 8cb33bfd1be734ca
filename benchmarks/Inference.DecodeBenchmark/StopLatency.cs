using System.Diagnostics;
using Inference.Core.Imaging;
using Inference.Testing.Hostile;
using SixLabors.ImageSharp.Processing;

namespace Inference.DecodeBenchmark;

/// <summary>How long a decode keeps running after its caller's token fires, and past a 100 ms time budget.</summary>
internal sealed record StopRow(string Image, double FullDecode, double CancelMedian, double CancelMax, double BudgetOvershootMedian, double BudgetOvershootMax);

internal static class StopLatency
{
    private static readonly TimeSpan CancelAfter = TimeSpan.FromMilliseconds(30);
    private static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(100);

    public static IEnumerable<StopRow> Measure(int runs)
    {
        foreach (var (name, data) in Inputs())
        {
            var decoder = new ImageDecoder(new ImageLimits { DecodeTimeout = TimeSpan.FromMinutes(1) });
            var full = Medians.Interleaved(3, () => decoder.Decode(data, ImageTarget.Full, default).Dispose())[0];
            var cancels = new List<double>();
            var overshoots = new List<double>();
            var budgeted = new ImageDecoder(new ImageLimits { DecodeTimeout = Budget });
            for (var i = 0; i < runs; i++)
            {
                cancels.Add(AfterCancel(decoder, data));
                var start = Stopwatch.GetTimestamp();
                try
                {
                    budgeted.Decode(data, ImageTarget.Full, default).Dispose();
                }
                catch (ImageDecodeException ex) when (ex.Reason == ImageFailureReason.TooComplex)
                {
                }

                overshoots.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds - Budget.TotalMilliseconds);
            }

            var row = new StopRow(name, full, Medians.Median(cancels), cancels.Max(), Medians.Median(overshoots), overshoots.Max());
            Console.WriteLine($"{name}: full {full:0} ms; after cancel {row.CancelMedian:0.0} ms (max {row.CancelMax:0.0}); past the budget {row.BudgetOvershootMedian:0.0} ms (max {row.BudgetOvershootMax:0.0})");
            yield return row;
        }
    }

    /// <summary>Starts a decode on its own thread, cancels it after 30 ms, and times how long it ran on.</summary>
    private static double AfterCancel(ImageDecoder decoder, byte[] data)
    {
        using var cancellation = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        long finished = 0;
        var thread = new Thread(() =>
        {
            started.Set();
            try
            {
                decoder.Decode(data, ImageTarget.Full, cancellation.Token).Dispose();
            }
            catch (OperationCanceledException)
            {
            }

            finished = Stopwatch.GetTimestamp();
        });
        thread.Start();
        started.Wait();
        Thread.Sleep(CancelAfter);
        var cancelled = Stopwatch.GetTimestamp();
        cancellation.Cancel();
        thread.Join();
        return Math.Max(0, Stopwatch.GetElapsedTime(cancelled, finished).TotalMilliseconds);
    }

    private static IEnumerable<(string Name, byte[] Data)> Inputs()
    {
        yield return ("progressive JPEG 4000×4000, 45 scans", ProgressiveJpegWriter.Write(4000, 4000, 1, (x, y, _) => (byte)((x >> 3) ^ (y >> 4)), 44));
        using var coffee = DecodeInputs.Load("coffee.png");
        using var huge = coffee.Clone(x => x.Resize(7296, 5472, KnownResamplers.Bicubic));
        yield return ("baseline JPEG 7296×5472 (40 MP)", Inference.Testing.SkiaEncoding.Jpeg(huge));
        using var large = coffee.Clone(x => x.Resize(4032, 3024, KnownResamplers.Bicubic));
        yield return ("PNG 4032×3024", Inference.Testing.SkiaEncoding.Png(large));
    }
}
