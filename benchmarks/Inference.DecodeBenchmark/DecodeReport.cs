using System.Text;

namespace Inference.DecodeBenchmark;

/// <summary>Writes benchmarks/results/decode-imaging.md from one run's figures.</summary>
internal sealed class DecodeReport(int rounds)
{
    public List<FormatRow> Formats { get; } = [];

    public List<LetterboxRow> Letterbox { get; } = [];

    public List<StopRow> Stops { get; } = [];

    public double WebP40Mp { get; set; }

    public HostileFigures? Hostile { get; set; }

    public string Write(string directory)
    {
        var md = new StringBuilder();
        Line(md, "# Decode benchmark");
        Line(md);
        Line(md, $"`bash benchmarks/decode-benchmark.sh` on {Environment.ProcessorCount} cores, one thread per figure, median of {rounds} rounds that run every column in turn (so a noisy neighbour slows all columns alike). ImageSharp 2.1.13 (the old path) against the new `ImageDecoder` (SkiaSharp {SkiaSharp.SkiaSharpVersion.Native}, ImageSharp for TIFF). Photos: the four fixture photos (451×300 to 640×427), mean of their medians; 12 MP: coffee.png resized to 4032×3024.");
        Line(md);
        Line(md, "## Decode time per format and size (ms)");
        Line(md);
        Line(md, "| format | size | ImageSharp full (old path) | new decoder, full size | new path, 416×416 input | new path / old |");
        Line(md, "| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var row in Formats)
        {
            Line(md, $"| {row.Format} | {row.Size} | {row.ImageSharpFull:0.00} | {row.SkiaFull:0.00} | {row.NewPath:0.00} | {row.NewPath / row.ImageSharpFull:0.00} |");
        }

        Line(md);
        Line(md, $"A 40 MP lossy WebP (7296×5472), the one decode the time budget cannot interrupt (libwebp decodes it in one call): {WebP40Mp:0} ms.");
        Line(md);
        Line(md, "## Decode + letterbox into a 416×416 YOLOX slot (ms)");
        Line(md);
        Line(md, "| image | old: ImageSharp decode | old: letterbox from full size | old total | new: DCT-scaled decode | new total | speed-up |");
        Line(md, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in Letterbox)
        {
            Line(md, $"| {row.Image} | {row.OldDecode:0.00} | {row.OldLetterbox:0.00} | {row.OldTotal:0.00} | {row.NewDecode:0.00} | {row.NewTotal:0.00} | {row.OldTotal / row.NewTotal:0.0}× |");
        }

        Line(md);
        Line(md, "## How fast a decode stops (ms)");
        Line(md);
        Line(md, "Running on after the caller's token fires (cancelled 30 ms in), and past a 100 ms `DecodeTimeout`; 15 runs each. The decode runs on one thread, so this is also the CPU it spends after a client leaves.");
        Line(md);
        Line(md, "| image | full decode | after cancel, median | after cancel, max | past the budget, median | past the budget, max |");
        Line(md, "| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in Stops)
        {
            Line(md, $"| {row.Image} | {row.FullDecode:0} | {row.CancelMedian:0.0} | {row.CancelMax:0.0} | {row.BudgetOvershootMedian:0.0} | {row.BudgetOvershootMax:0.0} |");
        }

        if (Hostile is { } h)
        {
            Line(md);
            Line(md, "## Hostile corpus, in process");
            Line(md);
            Line(md, $"All {h.Cases} cases of `HostileCorpus.Generate()` through `ImageDecoder` (default limits, 416×416 target), each on its own thread under a 30 s watchdog, judged as `HostileCorpusTests` judges them.");
            Line(md);
            Line(md, "| cases | hangs | wrong outcome or over budget | slowest case | most managed memory | largest resident peak | whole run |");
            Line(md, "| ---: | ---: | ---: | --- | ---: | --- | ---: |");
            Line(md, $"| {h.Cases} | {h.Hangs} | {h.Problems} | {h.MaxMilliseconds:0.0} ms ({h.Slowest}) | {h.MaxManagedBytes / 1024.0 / 1024:0.0} MiB | +{h.MaxResidentGrowth / 1024.0 / 1024:0.0} MiB ({h.Hungriest}) | {h.Total.TotalSeconds:0.0} s |");
            Line(md);
            Line(md, $"Outcomes: {string.Join(", ", h.Outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"))}.");
            foreach (var problem in h.FirstProblems)
            {
                Line(md, $"- {problem}");
            }
        }

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "decode-imaging.md");
        File.WriteAllText(path, md.ToString());
        return path;
    }

    // The projects build with invariant globalisation, so interpolated numbers always use a decimal point.
    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}
