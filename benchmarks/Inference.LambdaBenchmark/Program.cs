using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Inference.Core.Telemetry;
using Inference.LambdaBenchmark;
using Inference.Testing;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// Lambda cold start: the published bootstrap, with and without ReadyToRun, from process start to the first answer
// through the loopback Runtime API (init included: runtime start, model load, warm-up), beside the baseline of a
// fresh process that only creates an ONNX Runtime session on the same model and runs it once. Medians of N runs.
if (args.Contains("--raw-ort-once"))
{
    Console.WriteLine(RawOrt.FirstInferenceMs().ToString("0.0", CultureInfo.InvariantCulture));
    return 0;
}

var runs = int.TryParse(args.SkipWhile(a => a != "--runs").Skip(1).FirstOrDefault(), out var n) ? n : 7;
var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine(RepositoryPaths.Root, "benchmarks", "results");
var scratch = Directory.CreateTempSubdirectory("lambda-cold-start-").FullName;
try
{
    Console.WriteLine($"{runs} runs per figure, {Environment.ProcessorCount} cores, demo model (models/shapes-demo).");
    var baseline = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        baseline.Add(await RawOrt.FreshProcessMsAsync());
    }

    var rows = new List<Row>();
    foreach (var readyToRun in new[] { true, false })
    {
        var name = readyToRun ? "ReadyToRun" : "JIT only";
        Console.WriteLine($"Publishing {name}...");
        var package = await LambdaPackage.PublishAsync(Path.Combine(scratch, readyToRun ? "r2r" : "jit"), readyToRun);
        var zip = Path.Combine(scratch, (readyToRun ? "r2r" : "jit") + ".zip");
        ZipFile.CreateFromDirectory(package, zip, CompressionLevel.Optimal, includeBaseDirectory: false);
        var samples = new List<ColdStart>();
        for (var i = 0; i < runs; i++)
        {
            samples.Add(await ColdStart.MeasureAsync(package));
        }

        var row = new Row(name, LambdaPackage.SizeBytes(package), new FileInfo(zip).Length, Statistics.Median(samples.Select(s => s.InitMs)), Statistics.Median(samples.Select(s => s.FirstAnswerMs)), Statistics.Median(samples.Select(s => s.WarmMs)));
        rows.Add(row);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: init {row.InitMs:0} ms, first answer {row.ColdStartMs:0} ms, warm {row.WarmMs:0.0} ms (cold starts: {string.Join(", ", samples.Select(s => s.FirstAnswerMs.ToString("0", CultureInfo.InvariantCulture)))})"));
    }

    var raw = Statistics.Median(baseline);
    Directory.CreateDirectory(output);
    await File.WriteAllTextAsync(Path.Combine(output, "lambda-cold-start.md"), Markdown(rows, raw, runs));
    await File.WriteAllTextAsync(Path.Combine(output, "lambda-cold-start.json"), JsonSerializer.Serialize(new { runs, raw_ort_fresh_process_ms = raw, rows }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
    Console.WriteLine(Markdown(rows, raw, runs));
    return 0;
}
finally
{
    Directory.Delete(scratch, recursive: true);
}

static string Markdown(IReadOnlyList<Row> rows, double raw, int runs)
{
    var text = new StringBuilder();
    text.AppendLine(CultureInfo.InvariantCulture, $"# Lambda cold start ({DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, median of {runs})");
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"Baseline: a fresh .NET process that creates an ONNX Runtime session on the same model and runs it once: **{raw:0} ms**.");
    text.AppendLine();
    text.AppendLine("| package | on disk | zipped | init (start → first /next) | cold start (start → first answer) | ÷ baseline | warm invocation |");
    text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
    foreach (var r in rows)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Package} | {r.Bytes / 1048576.0:0.0} MiB | {r.ZipBytes / 1048576.0:0.0} MiB | {r.InitMs:0} ms | {r.ColdStartMs:0} ms | {r.ColdStartMs / raw:0.00} | {r.WarmMs:0.0} ms |");
    }

    return text.ToString();
}

namespace Inference.LambdaBenchmark
{
    internal sealed record Row(string Package, long Bytes, long ZipBytes, double InitMs, double ColdStartMs, double WarmMs);

    /// <summary>One cold start of the bootstrap against the fake Runtime API, then one warm invocation.</summary>
    internal sealed record ColdStart(double InitMs, double FirstAnswerMs, double WarmMs)
    {
        public static async Task<ColdStart> MeasureAsync(string package)
        {
            await using var runtime = await FakeLambdaRuntime.StartAsync();
            var image = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
            var payload = FunctionUrlEvent(image);
            var clock = Stopwatch.StartNew();
            var first = runtime.InvokeAsync(payload, TimeSpan.FromMinutes(1));
            await using var lambda = LambdaProcess.Start(package, runtime.Endpoint, "detect");
            await runtime.Initialised.WaitAsync(TimeSpan.FromMinutes(1));
            var init = clock.Elapsed.TotalMilliseconds;
            var answer = await first.WaitAsync(TimeSpan.FromMinutes(1));
            var cold = clock.Elapsed.TotalMilliseconds;
            if (answer.IsError)
            {
                throw new InvalidOperationException($"The cold invocation failed: {Encoding.UTF8.GetString(answer.Body)}");
            }

            var warmClock = Stopwatch.StartNew();
            await runtime.InvokeAsync(payload, TimeSpan.FromMinutes(1)).WaitAsync(TimeSpan.FromMinutes(1));
            return new ColdStart(init, cold, warmClock.Elapsed.TotalMilliseconds);
        }

        private static byte[] FunctionUrlEvent(byte[] image) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["version"] = "2.0",
            ["rawPath"] = "/v1/detect",
            ["headers"] = new Dictionary<string, string> { ["content-type"] = "image/png" },
            ["requestContext"] = new Dictionary<string, object> { ["http"] = new Dictionary<string, string> { ["method"] = "POST", ["path"] = "/v1/detect" } },
            ["body"] = Convert.ToBase64String(image),
            ["isBase64Encoded"] = true,
        });
    }

    /// <summary>The baseline: ONNX Runtime alone on the demo model.</summary>
    internal static class RawOrt
    {
        /// <summary>This process's start to the end of its first inference.</summary>
        public static double FirstInferenceMs()
        {
            var weights = Path.Combine(RepositoryPaths.DemoModelDirectory, "model.onnx");
            using var session = new InferenceSession(weights);
            var input = session.InputMetadata.First();
            var shape = input.Value.Dimensions.Select(d => d < 0 ? 1 : d).ToArray();
            var tensor = new DenseTensor<float>(shape);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(input.Key, tensor)]);
            return (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        }

        /// <summary>A fresh process of this benchmark in <c>--raw-ort-once</c> mode; its own report of process start → first inference.</summary>
        public static async Task<double> FreshProcessMsAsync()
        {
            var start = new ProcessStartInfo("dotnet", [typeof(RawOrt).Assembly.Location, "--raw-ort-once"]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            var text = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return double.Parse(text.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
        }
    }
}
