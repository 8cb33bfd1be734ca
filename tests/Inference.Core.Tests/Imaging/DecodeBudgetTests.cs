using System.Collections.Concurrent;
using System.Diagnostics;
using Inference.Core.Imaging;
using Inference.Testing;
using Inference.Testing.Hostile;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;

namespace Inference.Core.Tests.Imaging;

public sealed class DecodeBudgetTests
{
    private static readonly ConcurrentDictionary<string, byte[]> Images = new();

    public static TheoryData<string> StreamingFormats => ["jpeg", "progressive-jpeg", "png", "interlaced-png", "gif", "bmp", "tiff"];

    [Theory]
    [MemberData(nameof(StreamingFormats))]
    public void A_decode_stops_at_the_time_budget_as_too_complex(string format)
    {
        // Every look at the clock moves it on 100 ms, so the 2 s budget runs out after about twenty checks,
        // long before any of these images is done: only the budget can end the decode this early.
        var clock = new SteppingClock(TimeSpan.FromMilliseconds(100));
        var decoder = new ImageDecoder(new ImageLimits { DecodeTimeout = TimeSpan.FromSeconds(2) }, clock);

        var failure = Assert.Throws<ImageDecodeException>(() => decoder.Decode(Image(format), ImageTarget.Full, default));

        Assert.Equal(ImageFailureReason.TooComplex, failure.Reason);
        Assert.Contains("longer than the 2000 ms budget", failure.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Calls, 20, 24);
    }

    [Theory]
    [MemberData(nameof(StreamingFormats))]
    public void The_same_images_decode_within_an_ample_budget(string format)
    {
        var clock = new SteppingClock(TimeSpan.FromMilliseconds(1));
        var decoder = new ImageDecoder(new ImageLimits { DecodeTimeout = TimeSpan.FromMinutes(10) }, clock);

        using var decoded = decoder.Decode(Image(format), ImageTarget.Full, default);

        Assert.Equal(800, decoded.Width);
    }

    [Theory]
    [MemberData(nameof(StreamingFormats))]
    public void The_callers_token_stops_a_decode_midway_as_a_cancellation(string format)
    {
        using var cancellation = new CancellationTokenSource();
        var clock = new SteppingClock(TimeSpan.FromMilliseconds(1), onCall: n =>
        {
            if (n == 10)
            {
                cancellation.Cancel();
            }
        });
        var decoder = new ImageDecoder(ImageLimits.Default, clock);

        var stopped = Assert.ThrowsAny<OperationCanceledException>(() => decoder.Decode(Image(format), ImageTarget.Full, cancellation.Token));

        Assert.Equal(cancellation.Token, stopped.CancellationToken);
        Assert.InRange(clock.Calls, 10, 12);
    }

    [Fact]
    public void A_progressive_jpeg_under_the_scan_cap_is_cut_short_by_the_real_clock()
    {
        // 16 MP, 45 scans: a full pass over 250 000 blocks per scan.
        var jpeg = ProgressiveJpegWriter.Write(4000, 4000, 1, (x, y, _) => (byte)((x >> 3) ^ (y >> 4)), 44);
        var full = Stopwatch.StartNew();
        using (new ImageDecoder(new ImageLimits { DecodeTimeout = TimeSpan.FromMinutes(1) }).Decode(jpeg, ImageTarget.Full, default))
        {
            full.Stop();
        }

        var budgeted = Stopwatch.StartNew();
        var failure = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(new ImageLimits { DecodeTimeout = TimeSpan.FromMilliseconds(20) }).Decode(jpeg, ImageTarget.Full, default));
        budgeted.Stop();

        Assert.Equal(ImageFailureReason.TooComplex, failure.Reason);
        Assert.True(budgeted.Elapsed < full.Elapsed / 2, $"The 20 ms budget stopped after {budgeted.Elapsed.TotalMilliseconds:0} ms; the full decode takes {full.Elapsed.TotalMilliseconds:0} ms.");
    }

    [Fact]
    public void A_cancelled_decode_hands_back_its_pool_buffers_and_the_next_decode_is_clean()
    {
        using var cancellation = new CancellationTokenSource();
        var clock = new SteppingClock(TimeSpan.FromMilliseconds(1), onCall: n =>
        {
            if (n == 5)
            {
                cancellation.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => new ImageDecoder(ImageLimits.Default, clock).Decode(Image("png"), ImageTarget.Full, cancellation.Token));

        using var next = new ImageDecoder().Decode(Image("png"), ImageTarget.Full, default);

        Assert.Equal(Gradient[10, 10], next.RgbAt(10, 10));
    }

    private static SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> Gradient => GradientImage.Value;

    private static readonly Lazy<SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>> GradientImage = new(() => TestImages.Gradient(800, 600));

    private static byte[] Image(string format) => Images.GetOrAdd(format, f => f switch
    {
        "jpeg" => SkiaEncoding.Jpeg(Gradient),
        "progressive-jpeg" => ProgressiveJpegWriter.Write(800, 600, 3, (x, y, c) => Gradient[x, y].ToVector4()[c] is var v ? (byte)(v * 255) : (byte)0, 20),
        "png" => SkiaEncoding.Png(Gradient),
        "interlaced-png" => TestImages.Encode(Gradient, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 }),
        "gif" => TestImages.Encode(Gradient, new GifEncoder()),
        "bmp" => TestImages.Encode(Gradient, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }),
        _ => TiffWriter.Write(Gradient),
    });

    /// <summary>A clock that moves on by a fixed step each time it is read, and can act on the n-th read.</summary>
    private sealed class SteppingClock(TimeSpan step, Action<int>? onCall = null) : TimeProvider
    {
        private long _now;
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp()
        {
            var call = Interlocked.Increment(ref _calls);
            onCall?.Invoke(call);
            return Interlocked.Add(ref _now, step.Ticks);
        }
    }
}
