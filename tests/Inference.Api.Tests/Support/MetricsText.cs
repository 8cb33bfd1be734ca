using System.Globalization;
using System.Text.RegularExpressions;

namespace Inference.Api.Tests.Support;

/// <summary>Reads values out of the Prometheus text format.</summary>
public static partial class MetricsText
{
    /// <summary>The value of the sample whose name and labels start with <paramref name="selector"/>, e.g. <c>x_count</c> or <c>x{a="b"</c>.</summary>
    public static double? Value(string metrics, string selector)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(selector, StringComparison.Ordinal) && !line.StartsWith('#'))
            {
                var rest = line[selector.Length..];
                if (rest.Length > 0 && rest[0] is not (' ' or '{' or ',' or '}'))
                {
                    continue;
                }

                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    public static IReadOnlyList<string> Names(string metrics) =>
        metrics.Split('\n').Select(l => SampleName().Match(l)).Where(m => m.Success).Select(m => m.Value).Distinct().ToArray();

    [GeneratedRegex("^[a-z_]+(?=[{ ])")]
    private static partial Regex SampleName();
}
