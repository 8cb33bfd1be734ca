using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Inference.Delivery.Tests.Support;

/// <summary>
/// The Grafana dashboard and the Prometheus alert rules, read as the PromQL they contain, and checked against the
/// metric families and labels a real /metrics exposition declares.
/// </summary>
public static partial class MonitoringFiles
{
    public static string Dashboard => Path.Combine(DeliveryFiles.Root, "deploy", "grafana", "inference-dashboard.json");

    public static string AlertRules => Path.Combine(DeliveryFiles.Root, "deploy", "prometheus", "alerts.yml");

    public static string AlertTests => Path.Combine(DeliveryFiles.Root, "deploy", "prometheus", "alerts.test.yml");

    // Labels Prometheus itself adds or histograms carry, on every series.
    private static readonly string[] ScrapeLabels = ["job", "instance", "le"];

    private static readonly string[] HistogramSuffixes = ["_bucket", "_sum", "_count"];

    /// <summary>Every PromQL expression of the dashboard: panel targets and template variable queries.</summary>
    public static IReadOnlyList<string> DashboardExpressions(string json)
    {
        var expressions = new List<string>();
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        if (key is "expr" or "definition" && value is JsonValue text && text.TryGetValue<string>(out var expr))
                        {
                            expressions.Add(expr);
                        }
                        else
                        {
                            Walk(value);
                        }
                    }

                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        Walk(item);
                    }

                    break;
            }
        }

        Walk(JsonNode.Parse(json));
        return expressions;
    }

    /// <summary>Every rule's <c>expr</c> in a Prometheus rule file.</summary>
    public static IReadOnlyList<string> RuleExpressions(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return [.. ((YamlSequenceNode)root["groups"]).Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())
            .Select(r => ((YamlScalarNode)r["expr"]).Value!)];
    }

    /// <summary>The families a text exposition declares (<c># TYPE name kind</c>) and the label names its samples carry.</summary>
    public static (IReadOnlyDictionary<string, string> Families, IReadOnlySet<string> Labels) Exposition(string text)
    {
        var families = new Dictionary<string, string>(StringComparer.Ordinal);
        var labels = new HashSet<string>(ScrapeLabels, StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                families[parts[2]] = parts[3];
            }
            else if (!line.StartsWith('#') && line.IndexOf('{', StringComparison.Ordinal) is var open and > 0)
            {
                foreach (Match label in SampleLabel().Matches(line[open..]))
                {
                    labels.Add(label.Groups[1].Value);
                }
            }
        }

        return (families, labels);
    }

    /// <summary>One sentence per metric or label an expression names that the exposition does not have.</summary>
    public static IReadOnlyList<string> Problems(IEnumerable<string> expressions, string exposition, string source)
    {
        var (families, labels) = Exposition(exposition);
        var problems = new List<string>();
        foreach (var expression in expressions)
        {
            foreach (var name in MetricName().Matches(expression).Select(m => m.Value).Distinct(StringComparer.Ordinal))
            {
                if (!Exported(name, families))
                {
                    problems.Add($"{source}: '{name}' is not a metric the service exports (in: {expression.Trim()}).");
                }
            }

            foreach (var label in LabelsNamed(expression))
            {
                if (!labels.Contains(label))
                {
                    problems.Add($"{source}: the label '{label}' is on no series the service exports (in: {expression.Trim()}).");
                }
            }
        }

        return problems;
    }

    private static bool Exported(string name, IReadOnlyDictionary<string, string> families)
    {
        if (families.ContainsKey(name))
        {
            return true;
        }

        var suffix = HistogramSuffixes.FirstOrDefault(s => name.EndsWith(s, StringComparison.Ordinal));
        return suffix is not null && families.TryGetValue(name[..^suffix.Length], out var kind) && kind == "histogram";
    }

    // Grouping clauses (by/without) and matchers inside selectors; Grafana's own $variables and {{legend}} are not labels.
    private static IEnumerable<string> LabelsNamed(string expression)
    {
        foreach (Match clause in Grouping().Matches(expression))
        {
            foreach (var label in clause.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                yield return label;
            }
        }

        foreach (Match selector in Selector().Matches(expression))
        {
            foreach (Match matcher in Matcher().Matches(selector.Groups[1].Value))
            {
                yield return matcher.Groups[1].Value;
            }
        }

        if (LabelValues().Match(expression) is { Success: true } values)
        {
            yield return values.Groups[1].Value;
        }
    }

    [GeneratedRegex(@"\binference_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\b(?:by|without)\s*\(([^)]*)\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"inference_[a-z0-9_]+\{([^}]*)\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")]
    private static partial Regex Matcher();

    [GeneratedRegex(@"label_values\([^,]+,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""")]
    private static partial Regex SampleLabel();
}
