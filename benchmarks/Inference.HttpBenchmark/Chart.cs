using System.Globalization;
using ScottPlot;

namespace Inference.HttpBenchmark;

/// <summary>
/// The report's picture: throughput (left axis) and p99 latency (right axis) against concurrency, the HTTP service
/// and the in-process detection service beside raw ONNX Runtime's batch-1 and best throughput (dashed lines).
/// </summary>
internal static class Chart
{
    private const string HttpWeb = "HTTP 640×427, concurrency ";
    private const string HttpPhone = "HTTP 4032×3024, concurrency ";
    private const string InProcess = "detection service in-process, ";

    public static string Write(string path, string model, int cores, IReadOnlyList<Summary> rows, Summary rawBatch1, Summary rawBest)
    {
        var http = Series(rows, HttpWeb);
        var phone = Series(rows, HttpPhone);
        var inProcess = Series(rows, InProcess);
        var concurrencies = http.Concat(phone).Concat(inProcess).Select(p => p.Concurrency).Distinct().Order().ToArray();

        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title($"{model}: throughput and p99 against concurrency ({cores} cores)");
        var position = concurrencies.Select((c, i) => (c, (double)i)).ToDictionary(p => p.c, p => p.Item2);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. concurrencies.Select(c => position[c])], [.. concurrencies.Select(c => c.ToString(CultureInfo.InvariantCulture))]);
        plot.Axes.Bottom.Label.Text = "concurrent clients";
        plot.Axes.Left.Label.Text = "images per second";
        plot.Axes.Right.Label.Text = "p99 latency (ms)";

        AddLine(plot, http, position, p => p.ImagesPerSecond, "HTTP 640×427 images/s", Colors.C0, plot.Axes.Left, LinePattern.Solid);
        AddLine(plot, phone, position, p => p.ImagesPerSecond, "HTTP 12 MP images/s", Colors.C4, plot.Axes.Left, LinePattern.Solid);
        AddLine(plot, inProcess, position, p => p.ImagesPerSecond, "in-process images/s", Colors.C2, plot.Axes.Left, LinePattern.Solid);
        AddLine(plot, http, position, p => p.P99Ms, "HTTP 640×427 p99 ms", Colors.C0, plot.Axes.Right, LinePattern.Dotted);
        AddLine(plot, phone, position, p => p.P99Ms, "HTTP 12 MP p99 ms", Colors.C4, plot.Axes.Right, LinePattern.Dotted);
        AddLine(plot, inProcess, position, p => p.P99Ms, "in-process p99 ms", Colors.C2, plot.Axes.Right, LinePattern.Dotted);

        var best = plot.Add.HorizontalLine(rawBest.ImagesPerSecond, 2, Colors.C3, LinePattern.Dashed);
        best.LegendText = $"{rawBest.Name}: {rawBest.ImagesPerSecond:0} images/s";
        var single = plot.Add.HorizontalLine(rawBatch1.ImagesPerSecond, 2, Colors.C1, LinePattern.Dashed);
        single.LegendText = $"{rawBatch1.Name}: {rawBatch1.ImagesPerSecond:0} images/s";

        var topThroughput = new[] { rawBest.ImagesPerSecond, rawBatch1.ImagesPerSecond }.Concat(http.Concat(phone).Concat(inProcess).Select(p => p.ImagesPerSecond)).Max();
        var topLatency = http.Concat(phone).Concat(inProcess).Select(p => p.P99Ms).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsY(0, topThroughput * 1.25, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, topLatency * 1.25, plot.Axes.Right);
        plot.Axes.SetLimitsX(-0.25, concurrencies.Length - 0.75);
        plot.ShowLegend(Edge.Bottom);
        plot.SavePng(path, 1100, 600);
        return path;
    }

    private static void AddLine(Plot plot, IReadOnlyList<Point> points, Dictionary<int, double> position, Func<Point, double> value, string legend, Color color, IYAxis axis, LinePattern pattern)
    {
        if (points.Count == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(points.Select(p => position[p.Concurrency]).ToArray(), points.Select(value).ToArray(), color);
        scatter.LegendText = legend;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 8;
        scatter.LinePattern = pattern;
        scatter.Axes.YAxis = axis;
    }

    /// <summary>The rows named "{prefix}N …", by N, with their median throughput and p99.</summary>
    private static IReadOnlyList<Point> Series(IReadOnlyList<Summary> rows, string prefix) =>
        [.. rows.Where(r => r.Name.StartsWith(prefix, StringComparison.Ordinal) && r.P99Ms is not null)
            .Select(r => new Point(int.Parse(r.Name[prefix.Length..].Split(' ')[0], CultureInfo.InvariantCulture), r.ImagesPerSecond, r.P99Ms!.Value))
            .OrderBy(p => p.Concurrency)];

    private sealed record Point(int Concurrency, double ImagesPerSecond, double P99Ms);
}
