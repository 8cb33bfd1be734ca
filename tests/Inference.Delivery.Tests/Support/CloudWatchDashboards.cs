using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Inference.Delivery.Tests.Support;

/// <summary>
/// A stack's <c>AWS::CloudWatch::Dashboard</c>: its body as CloudWatch would receive it once <c>Fn::Sub</c> filled it
/// in, and whether it shows every metric the stack alarms on and every alarm.
/// </summary>
public static partial class CloudWatchDashboards
{
    /// <summary>The one dashboard of a template, its body with every <c>${…}</c> replaced by a number (valid in and out of strings).</summary>
    public static (string Name, JsonObject Body, IReadOnlyList<string> Substituted) Body(JsonObject template)
    {
        var (name, _, properties) = Assert.Single(CloudFormation.Resources(template), r => r.Type == "AWS::CloudWatch::Dashboard");
        var text = (string)properties["DashboardBody"]!["Fn::Sub"]!;
        var substituted = Placeholder().Matches(text).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToArray();
        var filled = Placeholder().Replace(text, "1");
        return (name, JsonNode.Parse(filled, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false })!.AsObject(), substituted);
    }

    /// <summary>One sentence per alarm of the template that the dashboard does not show, or whose metric it does not plot.</summary>
    public static IReadOnlyList<string> Problems(JsonObject template)
    {
        var (name, body, substituted) = Body(template);
        var resources = template["Resources"]!.AsObject().Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        var parameters = CloudFormation.ParameterNames(template);
        var problems = new List<string>();
        foreach (var reference in substituted)
        {
            var target = reference.Split('.')[0];
            if (!reference.StartsWith("AWS::", StringComparison.Ordinal) && !resources.Contains(target) && !parameters.Contains(target))
            {
                problems.Add($"{name} substitutes ${{{reference}}}, which is no resource or parameter of the template.");
            }
        }

        var widgets = body["widgets"]!.AsArray().Select(w => w!).ToArray();
        var plotted = widgets.Where(w => (string?)w["type"] == "metric")
            .SelectMany(w => w["properties"]!["metrics"]!.AsArray())
            .Select(m => ((string)m![0]!, (string)m[1]!))
            .ToHashSet();
        var shownAlarms = widgets.Where(w => (string?)w["type"] == "alarm")
            .SelectMany(w => w["properties"]!["alarms"]!.AsArray()).Count();
        var alarms = CloudFormation.Resources(template).Where(r => r.Type == "AWS::CloudWatch::Alarm").ToArray();
        foreach (var (alarm, _, alarmProperties) in alarms)
        {
            var metric = ((string)alarmProperties["Namespace"]!, (string)alarmProperties["MetricName"]!);
            if (!plotted.Contains(metric))
            {
                problems.Add($"{name} does not plot {metric.Item1} {metric.Item2}, which {alarm} alarms on.");
            }

            if (!substituted.Contains($"{alarm}.Arn"))
            {
                problems.Add($"{name} does not show the alarm {alarm}.");
            }
        }

        if (shownAlarms != alarms.Length)
        {
            problems.Add($"{name} shows {shownAlarms} alarms; the template has {alarms.Length}.");
        }

        return problems;
    }

    [GeneratedRegex(@"\$\{([A-Za-z0-9:.]+)\}")]
    private static partial Regex Placeholder();
}
