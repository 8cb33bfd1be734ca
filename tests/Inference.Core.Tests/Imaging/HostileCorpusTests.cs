using System.Diagnostics;
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

    /// <summary>Grace beyond the decode budget for scheduling on a loaded machine.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    /// <summary>Managed bytes a decode may allocate beside its pixel buffers (codec objects, ranges, messages).</summary>
    private const long ManagedAllowance = 1 << 20;

    /// <summary>Resident growth allowed beyond the probe's estimate (allocator slack, code paged in on first use).</summary>
    private const long ResidentAllowance = 32L << 20;

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
        var runs = new List<CaseRun>();
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

    public static TheoryData<string> LargeDecodes => ["png-4000x3000", "interlaced-png-2000x2000", "progressive-jpeg-4000x4000", "lossless-webp-3000x2000"];

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
            "interlaced-png-2000x2000" => (TestImages.Encode(Flat(2000, 2000), new SixLabors.ImageSharp.Formats.Png.PngEncoder { InterlaceMethod = SixLabors.ImageSharp.Formats.Png.PngInterlaceMode.Adam7 }), ImageTarget.Full, 24L << 20),
            "progressive-jpeg-4000x4000" => (ProgressiveJpegWriter.Write(4000, 4000, 3, (x, y, c) => (byte)(x + y + c), 9), new ImageTarget(416, 416), 80L << 20),
            _ => (SkiaEncoding.WebP(Flat(3000, 2000), lossless: true), ImageTarget.Full, 20L << 20),
        };

        var estimate = _decoder.Probe(data, target).DecodeBytes;
        var run = Run(Case(kind, data, HostileOutcome.Decodes, null));

        Assert.NotNull(run);
        Assert.Equal(HostileOutcome.Decodes, run.Outcome);
        output.WriteLine($"{kind}: resident peak +{run.PeakResidentGrowth >> 20} MiB, estimate {estimate >> 20} MiB.");
        Assert.InRange(run.PeakResidentGrowth, expectedAtLeast, estimate + ResidentAllowance);
    }

    private static SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> Flat(int width, int height) =>
        new(width, height, new SixLabors.ImageSharp.PixelFormats.Rgb24(90, 120, 150));

    private static HostileCase Case(string name, byte[] data, HostileOutcome outcome, ImageFailureReason? reason) =>
        new(name, HostileClass.BitFlip, data, "application/octet-stream", outcome, reason);

    /// <summary>Decodes one case on its own thread, so a hang is seen (and left behind) instead of stalling the run.</summary>
    private CaseRun? Run(HostileCase hostile)
    {
        CaseRun? result = null;
        var thread = new Thread(() => result = Measure(hostile)) { IsBackground = true, Name = hostile.Name };
        thread.Start();
        return thread.Join(Watchdog) ? result : null;
    }

    private CaseRun Measure(HostileCase hostile)
    {
        long estimate = 0;
        try
        {
            estimate = _decoder.Probe(hostile.Data, new ImageTarget(416, 416)).DecodeBytes;
        }
        catch (ImageDecodeException)
        {
            // Refused from the header: the decode must allocate next to nothing.
        }

        // Where /proc cannot be reset the resident checks pass vacuously; the managed and time checks still run.
        var measurePeak = ProcessMemory.CanMeasurePeak;
        var resident = ProcessMemory.ResidentBytes;
        if (measurePeak)
        {
            ProcessMemory.ResetPeak();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        HostileOutcome outcome;
        ImageFailureReason? reason = null;
        string message;
        try
        {
            using var image = _decoder.Decode(hostile.Data, new ImageTarget(416, 416), CancellationToken.None);
            (outcome, message) = (HostileOutcome.Decodes, $"{image.Width}×{image.Height}");
        }
        catch (ImageDecodeException ex)
        {
            (outcome, reason, message) = (HostileOutcome.Fails, ex.Reason, ex.Message);
        }
        catch (Exception ex)
        {
            (outcome, message) = (HostileOutcome.Either, $"escaped as {ex.GetType().Name}: {ex.Message}");
        }

        clock.Stop();
        var managed = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var growth = measurePeak ? ProcessMemory.PeakResidentBytes - resident : 0;
        return new CaseRun(hostile, outcome, reason, message, clock.Elapsed, managed, estimate, growth);
    }

    private IEnumerable<string> Check(HostileCase hostile, CaseRun run)
    {
        if (run.Outcome == HostileOutcome.Either)
        {
            yield return $"{hostile}: {run.Message}";
        }
        else if (hostile.Outcome == HostileOutcome.Decodes && run.Outcome != HostileOutcome.Decodes)
        {
            yield return $"{hostile}: expected an image, got {run.Reason}: {run.Message}";
        }
        else if (hostile.Outcome == HostileOutcome.Fails && (run.Outcome != HostileOutcome.Fails || run.Reason != hostile.Reason))
        {
            yield return $"{hostile}: expected {hostile.Reason}, got {(run.Reason is { } r ? r.ToString() : "an image")}: {run.Message}";
        }

        if (run.Elapsed > _decoder.Limits.DecodeTimeout + Grace)
        {
            yield return $"{hostile}: took {run.Elapsed.TotalMilliseconds:0} ms, beyond the {_decoder.Limits.DecodeTimeout.TotalMilliseconds:0} ms budget.";
        }

        // A pooled pixel buffer is allocated the first time its size is rented (the probe counts it); everything
        // else a decode allocates must stay small, whatever the input inflates to.
        if (run.ManagedBytes > ManagedAllowance + run.Estimate)
        {
            yield return $"{hostile}: allocated {run.ManagedBytes >> 10} KiB of managed memory.";
        }

        if (run.PeakResidentGrowth > run.Estimate + ResidentAllowance)
        {
            yield return $"{hostile}: resident memory peaked {run.PeakResidentGrowth >> 20} MiB above its start, beyond the probe's {run.Estimate >> 20} MiB estimate.";
        }
    }

    private void Report(List<CaseRun> runs)
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

    private sealed record CaseRun(
        HostileCase Case,
        HostileOutcome Outcome,
        ImageFailureReason? Reason,
        string Message,
        TimeSpan Elapsed,
        long ManagedBytes,
        long Estimate,
        long PeakResidentGrowth);
}
