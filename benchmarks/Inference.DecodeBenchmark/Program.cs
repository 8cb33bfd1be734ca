using System.Globalization;
using Inference.DecodeBenchmark;
using Inference.Testing;

// Decode figures side by side in one run: ImageSharp 2.1.13 (the old path) against the new decoder per format and
// size, decode + letterbox for a 12 MP JPEG, how fast a decode stops, and the whole hostile corpus.
var rounds = Argument("--runs", 21);
var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine(RepositoryPaths.Root, "benchmarks", "results");
var report = new DecodeReport(rounds);
Console.WriteLine($"{rounds} rounds per figure, one thread, {Environment.ProcessorCount} cores.");

report.Formats.AddRange(FormatComparison.Measure(DecodeInputs.Create(), rounds));
report.Letterbox.AddRange(LetterboxComparison.Measure(rounds));
report.Stops.AddRange(StopLatency.Measure(runs: 15));
report.WebP40Mp = FormatComparison.WebP40Mp(rounds: 5);
if (!args.Contains("--skip-hostile"))
{
    report.Hostile = HostileSummary.Measure();
}

var path = report.Write(output);
Console.WriteLine(File.ReadAllText(path));
Console.WriteLine($"Written to {path}.");

int Argument(string name, int fallback)
{
    var value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
}
