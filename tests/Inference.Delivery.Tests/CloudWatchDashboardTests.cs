using Inference.Delivery.Tests.Support;

namespace Inference.Delivery.Tests;

/// <summary>Each stack has a CloudWatch dashboard of the metrics it alarms on (ALB and ECS; Lambda), with its alarms.</summary>
public sealed class CloudWatchDashboardTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dashboards-").FullName;

    public static TheoryData<string> Stacks() => new(DeliveryFiles.Infrastructure, DeliveryFiles.LambdaTemplate);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [MemberData(nameof(Stacks))]
    public void The_dashboard_plots_every_alarmed_metric_and_shows_every_alarm(string file)
    {
        var template = CloudFormation.Load(file);

        Assert.Empty(CloudWatchDashboards.Problems(template));
        var (_, body, _) = CloudWatchDashboards.Body(template);
        Assert.True(body["widgets"]!.AsArray().Count >= 4);
    }

    [Fact]
    public void The_ecs_dashboard_also_shows_the_services_cpu_memory_and_gpus()
    {
        var (_, body, substituted) = CloudWatchDashboards.Body(CloudFormation.Load(DeliveryFiles.Infrastructure));

        var metrics = body["widgets"]!.AsArray().Where(w => (string?)w!["type"] == "metric")
            .SelectMany(w => w!["properties"]!["metrics"]!.AsArray()).Select(m => $"{m![0]} {m[1]}").ToArray();
        Assert.Contains("AWS/ECS CPUUtilization", metrics);
        Assert.Contains("AWS/ECS MemoryUtilization", metrics);
        Assert.Contains("ECS/ContainerInsights GpuReserved", metrics);
        Assert.Contains("Service.Name", substituted);
    }

    [Theory]
    [InlineData("\"HTTPCode_Target_5XX_Count\", \"LoadBalancer\"", "\"HTTPCode_ELB_5XX_Count\", \"LoadBalancer\"", "does not plot AWS/ApplicationELB HTTPCode_Target_5XX_Count")]
    [InlineData(", \"${LatencyP99Alarm.Arn}\"]", "]", "does not show the alarm LatencyP99Alarm")]
    [InlineData("\"${Cluster}\", \"ServiceName\", \"${Service.Name}\", { \"label\": \"CPU %\" }", "\"${Cluster}\", \"ServiceName\", \"${Servise.Name}\", { \"label\": \"CPU %\" }", "${Servise.Name}, which is no resource")]
    public void A_dashboard_that_drifts_from_the_alarms_is_caught(string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.Infrastructure, text => text.Replace(good, bad, StringComparison.Ordinal), _directory);

        Assert.Contains(CloudWatchDashboards.Problems(CloudFormation.Load(broken)), p => p.Contains(expected, StringComparison.Ordinal));
    }
}
