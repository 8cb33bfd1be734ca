using System.Text.Json.Nodes;
using Inference.Api.Observability;
using Inference.Delivery.Tests.Support;

namespace Inference.Delivery.Tests;

/// <summary>
/// The ECS service scales across GPU instances (deploy/infrastructure.yaml): Application Auto Scaling within each
/// environment's bounds, request-count policies that survive CodeDeploy swapping the target groups, a queue-depth
/// policy on exactly the metric the service publishes (EMF), and managed scaling on the GPU capacity provider.
/// </summary>
public sealed class ServiceScalingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scaling-").FullName;
    private readonly JsonObject _template = CloudFormation.Load(DeliveryFiles.Infrastructure);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Each_environment_scales_between_its_bounds_one_gpu_instance_per_task()
    {
        Assert.Empty(BoundProblems(_template));
    }

    [Fact]
    public void Bounds_that_need_more_gpu_hosts_than_the_group_may_launch_are_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.Infrastructure, t => DeliveryFiles.ReplaceFirst(t, "      MinTasks: 2\n      MaxTasks: 6", "      MinTasks: 2\n      MaxTasks: 12"), _directory);

        Assert.Contains(BoundProblems(CloudFormation.Load(broken)), p => p.Contains("production", StringComparison.Ordinal) && p.Contains("MaxInstances", StringComparison.Ordinal));
    }

    [Fact]
    public void Scaling_survives_codedeploy_swapping_the_target_groups_and_only_a_swap_free_metric_scales_in()
    {
        Assert.Empty(SwapProblems(_template));
    }

    [Fact]
    public void A_request_policy_on_one_target_group_that_scales_in_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(
            DeliveryFiles.Infrastructure,
            t => DeliveryFiles.ReplaceFirst(t, "          ResourceLabel: !Sub \"${LoadBalancer.LoadBalancerFullName}/${BlueTargetGroup.TargetGroupFullName}\"\n        TargetValue: !FindInMap [TaskScaling, !Ref EnvironmentName, RequestsPerTaskPerMinute]\n        DisableScaleIn: true", "          ResourceLabel: !Sub \"${LoadBalancer.LoadBalancerFullName}/${BlueTargetGroup.TargetGroupFullName}\"\n        TargetValue: !FindInMap [TaskScaling, !Ref EnvironmentName, RequestsPerTaskPerMinute]\n        DisableScaleIn: false"),
            _directory);

        Assert.Contains(SwapProblems(CloudFormation.Load(broken)), p => p.Contains("RequestsPerTaskOnBlue", StringComparison.Ordinal) && p.Contains("scales in", StringComparison.Ordinal));
    }

    [Fact]
    public void The_queue_depth_policy_reads_the_metric_the_service_publishes()
    {
        Assert.Empty(MetricProblems(_template, TaskDefinitionFacts.Environment()));
    }

    [Theory]
    [InlineData("          MetricName: QueuedImages", "          MetricName: QueueDepth", "QueueDepth")]
    [InlineData("              Value: !Sub \"detector-${EnvironmentName}\"\n          Statistic: Average", "              Value: !Sub \"detector-${EnvironmentName}-service\"\n          Statistic: Average", "detector-${EnvironmentName}-service")]
    public void A_policy_on_a_metric_nobody_publishes_is_caught(string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.Infrastructure, t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        Assert.Contains(MetricProblems(CloudFormation.Load(broken), TaskDefinitionFacts.Environment()), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_gpu_capacity_provider_scales_hosts_for_the_tasks_with_a_warm_up()
    {
        var scaling = _template["Resources"]!["GpuCapacityProvider"]!["Properties"]!["AutoScalingGroupProvider"]!["ManagedScaling"]!;

        Assert.Equal("ENABLED", (string)scaling["Status"]!);
        Assert.Equal("100", (string)scaling["TargetCapacity"]!);
        Assert.True(int.Parse((string)scaling["InstanceWarmupPeriod"]!, System.Globalization.CultureInfo.InvariantCulture) >= 180);
        Assert.Equal("ENABLED", (string)_template["Resources"]!["GpuCapacityProvider"]!["Properties"]!["AutoScalingGroupProvider"]!["ManagedTerminationProtection"]!);
    }

    [Fact]
    public void The_readme_says_how_scaling_and_blue_green_meet()
    {
        var readme = File.ReadAllText(Path.Combine(DeliveryFiles.Root, "README.md"));

        Assert.Contains("Scaling out, and blue/green", readme, StringComparison.Ordinal);
        Assert.Contains("not suspended", readme, StringComparison.Ordinal);
    }

    /// <summary>Per environment: MinTasks ≤ DesiredTasks ≤ MaxTasks ≤ MaxInstances (one GPU per task and per g5.xlarge).</summary>
    public static IReadOnlyList<string> BoundProblems(JsonObject template)
    {
        var problems = new List<string>();
        var parameters = template["Parameters"]!;
        int Default(string name) => Int(parameters[name]!["Default"]);
        foreach (var (environment, bounds) in template["Mappings"]!["TaskScaling"]!.AsObject())
        {
            var (min, max) = (Int(bounds!["MinTasks"]), Int(bounds["MaxTasks"]));
            if (!(min <= Default("DesiredTasks") && Default("DesiredTasks") <= max))
            {
                problems.Add($"{environment}: DesiredTasks ({Default("DesiredTasks")}) is outside MinTasks {min} to MaxTasks {max}.");
            }

            if (max > Default("MaxInstances"))
            {
                problems.Add($"{environment}: MaxTasks ({max}) needs more GPU hosts than MaxInstances ({Default("MaxInstances")}) allows; tasks would wait in PROVISIONING.");
            }
        }

        var target = template["Resources"]!["ServiceScalableTarget"]!["Properties"]!;
        if ((string?)target["ResourceId"]?["Fn::Sub"] != "service/${Cluster}/${Service.Name}")
        {
            problems.Add("The scalable target is not the service.");
        }

        return problems;
    }

    /// <summary>
    /// CodeDeploy moves production traffic between the deployment group's target groups at every release, so every
    /// one of them has an ALBRequestCountPerTarget policy, those policies never scale in (the idle group's would), and
    /// the policies that do scale in read a metric bound to no target group.
    /// </summary>
    public static IReadOnlyList<string> SwapProblems(JsonObject template)
    {
        var problems = new List<string>();
        var groups = template["Resources"]!["DeploymentGroup"]!["Properties"]!["LoadBalancerInfo"]!["TargetGroupPairInfoList"]!.AsArray()
            .SelectMany(p => CloudFormation.ReferencedNames(p!["TargetGroups"])).ToHashSet(StringComparer.Ordinal);
        var policies = CloudFormation.Resources(template).Where(r => r.Type == "AWS::ApplicationAutoScaling::ScalingPolicy").ToArray();
        var covered = new HashSet<string>(StringComparer.Ordinal);
        var scaleIn = 0;
        foreach (var (name, _, properties) in policies)
        {
            var configuration = properties["TargetTrackingScalingPolicyConfiguration"]!;
            var predefined = configuration["PredefinedMetricSpecification"];
            var scalesIn = (string?)configuration["DisableScaleIn"] != "true";
            if ((string?)predefined?["PredefinedMetricType"] == "ALBRequestCountPerTarget")
            {
                covered.UnionWith(CloudFormation.ReferencedNames(predefined!["ResourceLabel"]).Where(groups.Contains));
                if (scalesIn)
                {
                    problems.Add($"{name} scales in on one target group's requests: after CodeDeploy's next swap that group is idle and the policy would scale the service in under load.");
                }
            }
            else if (scalesIn)
            {
                scaleIn++;
            }
        }

        foreach (var group in groups.Except(covered))
        {
            problems.Add($"No request-count policy watches {group}: while it serves production, requests do not scale the service out.");
        }

        if (scaleIn == 0)
        {
            problems.Add("No policy scales the service in.");
        }

        return problems;
    }

    /// <summary>The customized metric is what EmfPublisher writes, with the dimension value the task definition gives it.</summary>
    public static IReadOnlyList<string> MetricProblems(JsonObject template, IReadOnlyDictionary<string, string> taskEnvironment)
    {
        var problems = new List<string>();
        var metric = template["Resources"]!["QueueDepthPerTask"]!["Properties"]!["TargetTrackingScalingPolicyConfiguration"]!["CustomizedMetricSpecification"]!;
        var published = new EmfOptions();
        var dimension = metric["Dimensions"]!.AsArray().Single()!;
        var service = taskEnvironment["Emf__Service"].Replace("<ENVIRONMENT>", "${EnvironmentName}", StringComparison.Ordinal);
        if ((string)metric["Namespace"]! != published.Namespace || (string)metric["MetricName"]! != EmfOptions.QueuedImagesMetric)
        {
            problems.Add($"The policy reads {(string)metric["Namespace"]!}/{(string)metric["MetricName"]!}; the service publishes {published.Namespace}/{EmfOptions.QueuedImagesMetric}.");
        }

        if ((string)dimension["Name"]! != EmfOptions.ServiceDimension || (string?)dimension["Value"]?["Fn::Sub"] != service)
        {
            problems.Add($"The policy's dimension is {(string)dimension["Name"]!}={(string?)dimension["Value"]?["Fn::Sub"]}; tasks publish {EmfOptions.ServiceDimension}={service}.");
        }

        if (taskEnvironment.GetValueOrDefault("Emf__Enabled") != "true")
        {
            problems.Add("The task definition does not turn EMF on (Emf__Enabled=true): the metric would never exist.");
        }

        if ((string)metric["Statistic"]! != "Average")
        {
            problems.Add("Queue depth per task is the Average over the tasks' documents.");
        }

        return problems;
    }

    private static int Int(JsonNode? node) => int.Parse(node!.ToString(), System.Globalization.CultureInfo.InvariantCulture);
}
