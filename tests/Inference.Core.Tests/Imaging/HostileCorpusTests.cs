using System.Globalization;
using Inference.Core.Imaging;
using Inference.Testing;
using Inference.Testing.Hostile;
using Xunit.Abstractions;

namespace Inference.Core.Tests.Imaging;

/// <summary>Process-wide measurements (resident memory) need the process to themselves.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialMeasurements
{
    public const string Name = "memory-measuring";
}

[Collection(SerialMeasurements.Name)]
public sealed class HostileCorpusTests(ITestOutputHelper output)
{
    /// <summary>Far above any budget: a case still running this long is a hang.</summary>
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(30);

    private readonly ImageDecoder _decoder = new();

    [Fact]
    public void The_corpus_is_deterministic_large_and_covers_every_class()
    {
        var corpus = HostileCorpus.Generate();
        var again = HostileCorpus.Generate(HostileCorpus.DefaultSeed + 1);

        Assert.True(corpus.Count >= 1000, $"{corpus.Count} cases.");
        Assert.Equal(Enum.GetValues<HostileClass>().Length, corpus.Select(c => c.Class).Distinct().Count());
        Assert.Equal(corpus.Count, corpus.Select(c => c.Name).Distinct().Count());
        Assert.Equal(corpus.Count, again.Count);
        Assert.NotEqual(corpus[0].Data, again[0].Data);
        Assert.Equal(70, HostileCorpus.InterlacedPng70Bytes().Length);
    }

    [Fact]
    public void Every_quick_case_gets_its_outcome_within_budget_without_hanging_or_bloating()
    {
        var cases = HostileCorpus.Quick(perClass: 12);
        Assert.True(cases.Count >= 120, $"{cases.Count} cases.");
        Assert.Equal(Enum.GetValues<HostileClass>().Length, cases.Select(c => c.Class).Distinct().Count());
        var problems = new List<string>();
        var runs = new List<HostileRun>();
        foreach (var hostile in cases)
        {
            if (Run(hostile) is not { } run)
            {
                problems.Add($"{hostile}: still running after {Watchdog.TotalSeconds} s — a hang.");
                continue;
            }

            runs.Add(run);
            problems.AddRange(Check(hostile, run));
        }

        Report(runs);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_70_byte_interlaced_png_is_corrupt_at_once()
    {
        var run = Run(Case("70-byte interlaced PNG", HostileCorpus.InterlacedPng70Bytes(), HostileOutcome.Fails, ImageFailureReason.Corrupt));

        Assert.NotNull(run);
        Assert.Empty(Check(run.Case, run));
        Assert.Contains("ends before the image is complete", run.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_256_mib_ztxt_bomb_is_never_inflated_and_the_photo_under_it_decodes()
    {
        var bomb = HostileCorpus.ZTxtBomb();

        var run = Run(Case("256 MiB zTXt bomb", bomb, HostileOutcome.Decodes, null));

        Assert.NotNull(run);
        Assert.Empty(Check(run.Case, run));
        Assert.True(run.PeakResidentGrowth < 64L << 20, $"Resident memory grew {run.PeakResidentGrowth >> 20} MiB.");
    }

    [SkippableFact]
    public void A_4000x4000_progressive_jpeg_with_thousands_of_scans_is_refused_from_its_markers()
    {
        var run = Run(Case("3000-scan progressive JPEG", HostileCorpus.ProgressiveScanFlood(), HostileOutcome.Fails, ImageFailureReason.TooComplex));

        Assert.NotNull(run);
        Assert.Empty(Check(run.Case, run));
        Assert.Contains("more than 50 scans", run.Message, StringComparison.Ordinal);

        // Refused by walking the markers: no coefficient buffer (16 MP × 2 bytes) was ever allocated.
        Assert.True(run.PeakResidentGrowth < 16L << 20, $"Resident memory grew {run.PeakResidentGrowth >> 20} MiB.");
    }

    public static TheoryData<string> LargeDecodes => ["png-4000x3000", "interlaced-png-2400x2400", "progressive-jpeg-4000x4000", "lossless-webp-3000x2000"];

    /// <summary>
    /// The resident peak sees native memory (Skia's and ours), and the probe's estimate, which admission relies
    /// on, stays above what large decodes really take.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(LargeDecodes))]
    public void Large_decodes_stay_within_the_probes_memory_estimate(string kind)
    {
        Skip.IfNot(ProcessMemory.CanMeasurePeak, "Resident memory peaks cannot be measured here.");
        var (data, target, expectedAtLeast) = kind switch
        {
            "png-4000x3000" => (SkiaEncoding.Png(Flat(4000, 3000)), ImageTarget.Full, 40L << 20),
            "interlaced-png-2400x2400" => (TestImages.Encode(Flat(2400, 2400), new SixLabors.ImageSharp.Formats.Png.PngEncoder { InterlaceMethod = SixLabors.ImageSharp.Formats.Png.PngInterlaceMode.Adam7 }), ImageTarget.Full, 30L << 20),
            "progressive-jpeg-4000x4000" => (ProgressiveJpegWriter.Write(4000, 4000, 3, (x, y, c) => (byte)(x + y + c), 9), new ImageTarget(416, 416), 80L << 20),
            _ => (SkiaEncoding.WebP(Flat(3000, 2000), lossless: true), ImageTarget.Full, 20L << 20),
        };

        var estimate = _decoder.Probe(data, target).DecodeBytes;
        var run = Run(Case(kind, data, HostileOutcome.Decodes, null));

        Assert.NotNull(run);
        Assert.Equal(HostileOutcome.Decodes, run.Outcome);
        output.WriteLine($"{kind}: resident peak +{run.PeakResidentGrowth >> 20} MiB, estimate {estimate >> 20} MiB.");
        // Only the ceiling is a property of the decoder: how much of a decode's memory shows as growth depends on
        // what the allocators kept from earlier tests. That the measurement sees native memory at all is shown below.
        Assert.InRange(expectedAtLeast, 1, estimate);
        Assert.InRange(run.PeakResidentGrowth, 0, estimate + HostileRunner.ResidentAllowance);
    }

    [SkippableFact]
    public void The_resident_peak_sees_native_memory_that_gc_counters_never_see()
    {
        Skip.IfNot(ProcessMemory.CanMeasurePeak, "Resident memory peaks cannot be measured here.");
        const int Size = 64 << 20;
        ProcessMemory.ResetPeak();
        var start = ProcessMemory.ResidentBytes;
        var native = System.Runtime.InteropServices.Marshal.AllocHGlobal(Size);
        try
        {
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)1);
            for (var offset = 0; offset < Size; offset += chunk.Length)
            {
                System.Runtime.InteropServices.Marshal.Copy(chunk, 0, native + offset, chunk.Length);
            }

            Assert.InRange(ProcessMemory.PeakResidentBytes - start, Size - (4L << 20), long.MaxValue);
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(native);
        }
    }

    private static SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> Flat(int width, int height) =>
        new(width, height, new SixLabors.ImageSharp.PixelFormats.Rgb24(90, 120, 150));

    private static HostileCase Case(string name, byte[] data, HostileOutcome outcome, ImageFailureReason? reason) =>
        new(name, HostileClass.BitFlip, data, "application/octet-stream", outcome, reason);

    private HostileRun? Run(HostileCase hostile) => HostileRunner.Run(_decoder, hostile, new ImageTarget(416, 416), Watchdog);

    private IEnumerable<string> Check(HostileCase hostile, HostileRun run)
    {
        Assert.Same(hostile, run.Case);
        return HostileRunner.Problems(run, _decoder.Limits);
    }

    private void Report(List<HostileRun> runs)
    {
        if (runs.Count == 0)
        {
            return;
        }

        var slowest = runs.MaxBy(r => r.Elapsed)!;
        var hungriest = runs.MaxBy(r => r.PeakResidentGrowth)!;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{runs.Count} cases; slowest {slowest.Elapsed.TotalMilliseconds:0.0} ms ({slowest.Case.Name}); largest resident peak +{hungriest.PeakResidentGrowth >> 20} MiB ({hungriest.Case.Name}, estimate {hungriest.Estimate >> 20} MiB); most managed {runs.Max(r => r.ManagedBytes) >> 10} KiB."));
    }
}
