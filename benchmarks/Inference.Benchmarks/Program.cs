using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Inference.Benchmarks;

// In-process: the native ORT libraries and fixtures resolve exactly as in the service, and no second build runs.
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(5).WithIterationCount(25).WithLaunchCount(1))
    .WithOptions(ConfigOptions.JoinSummary);

var summaries = BenchmarkSwitcher.FromAssembly(typeof(StageBenchmarks).Assembly).Run(args, config);
foreach (var summary in summaries)
{
    StageRatios.Print(summary);
}

/// <summary>The figure the foundation issue targets: (decode + preprocess + postprocess) / model time for a 640×480 JPEG.</summary>
internal static class StageRatios
{
    public static void Print(Summary summary)
    {
        double? Median(string method) => summary.Reports
            .FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method && r.ResultStatistics is not null)?
            .ResultStatistics!.Median / 1e6;

        var model = Median(nameof(StageBenchmarks.RawOrtYoloxNano));
        var decode = Median(nameof(StageBenchmarks.Decode640x480Jpeg));
        var preprocess = Median(nameof(StageBenchmarks.LetterboxToYolox));
        var postprocess = Median(nameof(StageBenchmarks.YoloxDecodeNms));
        var pipeline = Median(nameof(StageBenchmarks.ServiceEndToEnd));
        if (model is not { } m || decode is not { } d || preprocess is not { } p || postprocess is not { } q)
        {
            return;
        }

        var ratio = (d + p + q) / m;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Medians (ms): raw ORT {m:0.000}, decode {d:0.000}, letterbox+tensorize {p:0.000}, decode+NMS {q:0.000}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(decode + preprocess + postprocess) / model = {ratio:0.000} (target <= 0.5): {(ratio <= 0.5 ? "met" : "NOT met")}"));
        if (pipeline is { } e)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"detection service / raw ORT = {e / m:0.000}"));
        }
    }
}
