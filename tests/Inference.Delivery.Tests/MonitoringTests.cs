using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Inference.Delivery.Tests.Support;
using Inference.Testing;

namespace Inference.Delivery.Tests;

/// <summary>
/// The Grafana dashboard and the Prometheus alert rules (deploy/grafana, deploy/prometheus): promtool checks and
/// unit-tests the rules, and every metric and label they name is one the real service exports.
/// </summary>
public sealed class MonitoringTests : IDisposable
{
    private static readonly string[] RequiredPanels =
    [
        "Request rate by status class", "Detect latency p50 / p95 / p99", "Queue wait p50 / p99 by model", "Batch-size distribution",
        "Inference time per batch p50 / p99 by model", "Rejections by reason", "Ready models per instance", "Model per instance (name, version, provider)",
    ];

    private static readonly string[] RequiredAlerts =
    [
        "InferenceHighP99Latency", "InferenceHigh5xxRatio", "InferenceHigh429Ratio", "InferenceModelNotReady", "InferenceBatchFailures", "InferenceModelVersionMismatch",
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("monitoring-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public async Task Promtool_accepts_the_alert_rules()
    {
        var (exitCode, output) = await Tool.RunAsync(Promtool(), "check", "rules", MonitoringFiles.AlertRules);

        Assert.True(exitCode == 0, output);
        Assert.Contains($"SUCCESS: {RequiredAlerts.Length + 1} rules found", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_alert_rules_pass_their_promtool_unit_tests()
    {
        var (exitCode, output) = await Tool.RunAsync(Promtool(), "test", "rules", MonitoringFiles.AlertTests);

        Assert.True(exitCode == 0, output);
        foreach (var alert in RequiredAlerts)
        {
            Assert.Contains($"alertname: {alert}", await File.ReadAllTextAsync(MonitoringFiles.AlertTests), StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task A_rule_that_no_longer_fires_fails_its_unit_test()
    {
        // The unit tests can fail: a 5xx threshold raised past the tested 3% leaves an expected alert unfired.
        File.Copy(MonitoringFiles.AlertTests, Path.Combine(_directory, "alerts.test.yml"));
        DeliveryFiles.BrokenCopy(MonitoringFiles.AlertRules, text => text.Replace("> 0.01", "> 0.05", StringComparison.Ordinal), _directory);

        var (exitCode, output) = await Tool.RunInAsync(_directory, Promtool(), "test", "rules", "alerts.test.yml");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("InferenceHigh5xxRatio", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_dashboard_has_the_panels_an_operator_needs_over_one_data_source()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(MonitoringFiles.Dashboard))!;
        var panels = dashboard["panels"]!.AsArray().Select(p => p!).Where(p => (string?)p["type"] != "row").ToArray();

        var titles = panels.Select(p => (string)p["title"]!).ToArray();
        foreach (var required in RequiredPanels)
        {
            Assert.Contains(required, titles);
        }

        Assert.Equal(panels.Length, panels.Select(p => (int)p["id"]!).Distinct().Count());
        foreach (var panel in panels)
        {
            Assert.Equal("${datasource}", (string?)panel["datasource"]?["uid"]);
            Assert.NotEmpty(panel["targets"]!.AsArray());
        }

        Assert.Equal("inference-service", (string?)dashboard["uid"]);
    }

    [Fact]
    public void A_metric_the_service_does_not_export_is_caught()
    {
        const string Exposition = "# TYPE inference_ready gauge\ninference_ready 1\n# TYPE inference_batch_size histogram\ninference_batch_size_bucket{model=\"default\",le=\"1\"} 1\n";

        Assert.Empty(MonitoringFiles.Problems(["sum by (model, le) (rate(inference_batch_size_bucket[5m]))", "inference_ready == 0"], Exposition, "test"));
        Assert.Single(MonitoringFiles.Problems(["rate(inference_batch_sizes_bucket[5m])"], Exposition, "test"));
        Assert.Single(MonitoringFiles.Problems(["inference_ready_total"], Exposition, "test"));
        Assert.Single(MonitoringFiles.Problems(["sum by (gpu) (inference_ready)"], Exposition, "test"));
        Assert.Single(MonitoringFiles.Problems(["inference_ready{region=\"eu\"}"], Exposition, "test"));
    }

    [Fact]
    public async Task Every_metric_and_label_in_the_dashboard_and_the_rules_is_one_the_service_exports()
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>());
        await api.WaitUntilReadyAsync();
        var golden = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        using (var image = new ByteArrayContent(golden) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } })
        using (var junk = new ByteArrayContent("junk"u8.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } })
        {
            (await api.Client.PostAsync("/v1/detect", image)).Dispose();
            (await api.Client.PostAsync("/v1/detect", junk)).Dispose();
        }

        var exposition = await api.Client.GetStringAsync("/metrics");
        var dashboard = MonitoringFiles.DashboardExpressions(await File.ReadAllTextAsync(MonitoringFiles.Dashboard));
        var rules = MonitoringFiles.RuleExpressions(await File.ReadAllTextAsync(MonitoringFiles.AlertRules));

        Assert.True(dashboard.Count >= 20, $"Only {dashboard.Count} expressions were found in the dashboard.");
        Assert.Equal(RequiredAlerts.Length + 1, rules.Count);
        Assert.Empty(MonitoringFiles.Problems(dashboard, exposition, "dashboard").Concat(MonitoringFiles.Problems(rules, exposition, "alerts.yml")));
    }

    private static string Promtool() =>
        Tool.Require(new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists) ?? "/usr/bin/promtool", "apt-get install prometheus (scripts/test.sh does).");
}
