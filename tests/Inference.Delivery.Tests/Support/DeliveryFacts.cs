using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Inference.Delivery.Tests.Support;

/// <summary>
/// The numbers and names that the delivery files must agree on, read from each file, and the rules that relate
/// them. Each rule returns sentences, so a test shows every disagreement at once.
/// </summary>
public sealed partial record DeliveryFacts(
    IReadOnlyDictionary<string, int> Ports,
    IReadOnlyDictionary<string, string> HealthPaths,
    IReadOnlyDictionary<string, int> Seconds,
    IReadOnlyDictionary<string, string> Names)
{
    public static DeliveryFacts Read(string? root = null)
    {
        root ??= DeliveryFiles.Root;
        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        var seconds = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);

        foreach (var dockerfile in new[] { "Dockerfile", "Dockerfile.gpu" })
        {
            var text = File.ReadAllText(Path.Combine(root, dockerfile));
            ports[$"{dockerfile} EXPOSE"] = int.Parse(Expose().Match(text).Groups[1].Value);
            ports[$"{dockerfile} ASPNETCORE_HTTP_PORTS"] = int.Parse(HttpPorts().Match(text).Groups[1].Value);
            var probe = HealthProbe().Match(text);
            ports[$"{dockerfile} HEALTHCHECK"] = int.Parse(probe.Groups[1].Value);
            paths[$"{dockerfile} HEALTHCHECK"] = probe.Groups[2].Value;
        }

        ReadTaskDefinition(Path.Combine(root, "task-definition.json"), ports, paths, seconds, names);
        ReadAppSpec(Path.Combine(root, "deploy", "appspec.yaml"), ports, names);
        ReadInfrastructure(Path.Combine(root, "deploy", "infrastructure.yaml"), ports, paths, seconds, names);
        return new DeliveryFacts(ports, paths, seconds, names);
    }

    /// <summary>Every port the files name for the service must be the same one.</summary>
    public IEnumerable<string> PortProblems()
    {
        var distinct = Ports.Values.Distinct().ToArray();
        return distinct.Length <= 1
            ? []
            : [$"The service port differs between files: {string.Join(", ", Ports.Select(p => $"{p.Key} = {p.Value}"))}."];
    }

    /// <summary>
    /// The timeouts nest so that no request is cut and no healthy task is killed: ALB unhealthy detection &lt; drain
    /// delay &lt; deregistration delay &lt; stopTimeout; the drain plus the longest request fit the shutdown timeout,
    /// which ends before ECS sends SIGKILL; an in-flight request finishes inside the deregistration delay; and the model
    /// load gives up (and says why) before ECS or the load balancer judge the task unhealthy.
    /// </summary>
    public IEnumerable<string> TimingProblems()
    {
        var albNotices = Seconds["target group interval"] * Seconds["target group unhealthy threshold"];
        if (albNotices >= Seconds["Shutdown:DrainDelaySeconds"])
        {
            yield return $"The load balancer needs {albNotices} s to see a draining task, but Shutdown:DrainDelaySeconds is {Seconds["Shutdown:DrainDelaySeconds"]} s.";
        }

        if (Seconds["Shutdown:DrainDelaySeconds"] >= Seconds["deregistration delay"] || Seconds["deregistration delay"] >= Seconds["stopTimeout"])
        {
            yield return $"Shutdown:DrainDelaySeconds ({Seconds["Shutdown:DrainDelaySeconds"]} s) < deregistration delay ({Seconds["deregistration delay"]} s) < stopTimeout ({Seconds["stopTimeout"]} s) does not hold.";
        }

        if (Seconds["Shutdown:DrainDelaySeconds"] + Seconds["Limits:RequestTimeoutSeconds"] > Seconds["Shutdown:TimeoutSeconds"])
        {
            yield return $"A request that starts just before the drain ends may run {Seconds["Shutdown:DrainDelaySeconds"]} + {Seconds["Limits:RequestTimeoutSeconds"]} s, past Shutdown:TimeoutSeconds ({Seconds["Shutdown:TimeoutSeconds"]} s).";
        }

        if (Seconds["Shutdown:TimeoutSeconds"] >= Seconds["stopTimeout"])
        {
            yield return $"Shutdown:TimeoutSeconds ({Seconds["Shutdown:TimeoutSeconds"]} s) must end before ECS sends SIGKILL at stopTimeout ({Seconds["stopTimeout"]} s).";
        }

        if (Seconds["Limits:RequestTimeoutSeconds"] > Seconds["deregistration delay"])
        {
            yield return $"A request may run {Seconds["Limits:RequestTimeoutSeconds"]} s but the deregistration delay is {Seconds["deregistration delay"]} s.";
        }

        foreach (var grace in new[] { "container health startPeriod", "service health check grace period" })
        {
            if (Seconds["Model:StartupTimeoutSeconds"] >= Seconds[grace])
            {
                yield return $"Model:StartupTimeoutSeconds ({Seconds["Model:StartupTimeoutSeconds"]} s) must be shorter than the {grace} ({Seconds[grace]} s).";
            }
        }
    }

    /// <summary>The container, the deploy hook and the health path the files refer to must be the same ones.</summary>
    public IEnumerable<string> NameProblems()
    {
        foreach (var group in Names.GroupBy(n => n.Key.Split(' ')[0], StringComparer.Ordinal))
        {
            if (group.Select(n => n.Value).Distinct(StringComparer.Ordinal).Count() > 1)
            {
                yield return $"The {group.Key} differs between files: {string.Join(", ", group.Select(n => $"{n.Key} = {n.Value}"))}.";
            }
        }
    }

    private static void ReadTaskDefinition(string path, Dictionary<string, int> ports, Dictionary<string, string> paths, Dictionary<string, int> seconds, Dictionary<string, string> names)
    {
        var detector = TaskDefinitionFacts.Detector(path);
        var environment = TaskDefinitionFacts.Environment(path);
        ports["task definition containerPort"] = (int)detector["portMappings"]![0]!["containerPort"]!;
        ports["task definition ASPNETCORE_HTTP_PORTS"] = int.Parse(environment["ASPNETCORE_HTTP_PORTS"]);
        var probe = HealthProbe().Match(string.Join(' ', detector["healthCheck"]!["command"]!.AsArray().Select(c => (string)c!)));
        ports["task definition health check"] = int.Parse(probe.Groups[1].Value);
        paths["task definition health check"] = probe.Groups[2].Value;
        seconds["container health startPeriod"] = (int)detector["healthCheck"]!["startPeriod"]!;
        seconds["stopTimeout"] = (int)detector["stopTimeout"]!;
        seconds["Shutdown:DrainDelaySeconds"] = int.Parse(environment["Shutdown__DrainDelaySeconds"]);
        seconds["Shutdown:TimeoutSeconds"] = int.Parse(environment["Shutdown__TimeoutSeconds"]);
        seconds["Model:StartupTimeoutSeconds"] = int.Parse(environment["Model__StartupTimeoutSeconds"]);
        seconds["Limits:RequestTimeoutSeconds"] = (int)Math.Ceiling((environment.TryGetValue("Limits__RequestTimeoutMs", out var ms)
            ? int.Parse(ms)
            : new Inference.Core.Serving.LimitsOptions().RequestTimeoutMs) / 1000.0);
        names["container (task definition)"] = (string)detector["name"]!;
    }

    private static void ReadAppSpec(string path, Dictionary<string, int> ports, Dictionary<string, string> names)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var info = (YamlMappingNode)Child(Child(((YamlSequenceNode)root["Resources"]).Children[0], "TargetService"), "Properties")["LoadBalancerInfo"];
        ports["appspec ContainerPort"] = int.Parse(((YamlScalarNode)info["ContainerPort"]).Value!);
        names["container (appspec)"] = ((YamlScalarNode)info["ContainerName"]).Value!;
        var hook = (YamlMappingNode)((YamlSequenceNode)root["Hooks"]).Children.Single();
        names["hook (appspec AfterAllowTestTraffic)"] = ((YamlScalarNode)hook["AfterAllowTestTraffic"]).Value!;
    }

    private static void ReadInfrastructure(string path, Dictionary<string, int> ports, Dictionary<string, string> paths, Dictionary<string, int> seconds, Dictionary<string, string> names)
    {
        var template = CloudFormation.Load(path);
        names["hook (infrastructure ValidatorFunctionName default)"] = (string)template["Parameters"]!["ValidatorFunctionName"]!["Default"]!;
        foreach (var (name, type, properties) in CloudFormation.Resources(template))
        {
            switch (type)
            {
                case "AWS::ElasticLoadBalancingV2::TargetGroup":
                    ports[$"{name} Port"] = Int(properties["Port"]!);
                    paths[$"{name} HealthCheckPath"] = (string)properties["HealthCheckPath"]!;
                    seconds["target group interval"] = Math.Max(seconds.GetValueOrDefault("target group interval"), Int(properties["HealthCheckIntervalSeconds"]!));
                    seconds["target group unhealthy threshold"] = Math.Max(seconds.GetValueOrDefault("target group unhealthy threshold"), Int(properties["UnhealthyThresholdCount"]!));
                    var delay = properties["TargetGroupAttributes"]!.AsArray().Single(a => (string)a!["Key"]! == "deregistration_delay.timeout_seconds");
                    seconds["deregistration delay"] = Math.Min(seconds.GetValueOrDefault("deregistration delay", int.MaxValue), int.Parse((string)delay!["Value"]!));
                    break;
                case "AWS::EC2::SecurityGroupIngress" or "AWS::EC2::SecurityGroup":
                    foreach (var rule in (IEnumerable<JsonNode?>?)properties["SecurityGroupIngress"]?.AsArray() ?? [properties])
                    {
                        if (rule?["SourceSecurityGroupId"] is not null && rule["FromPort"] is { } from)
                        {
                            ports[$"{name} ingress"] = Int(from);
                        }
                    }

                    break;
                case "AWS::ECS::Service":
                    var balancer = properties["LoadBalancers"]!.AsArray().Single()!;
                    ports[$"{name} LoadBalancers ContainerPort"] = Int(balancer["ContainerPort"]!);
                    names[$"container ({name} LoadBalancers)"] = (string)balancer["ContainerName"]!;
                    seconds["service health check grace period"] = Int(properties["HealthCheckGracePeriodSeconds"]!);
                    break;
                case "AWS::ECS::TaskDefinition":
                    foreach (var container in properties["ContainerDefinitions"]!.AsArray())
                    {
                        names[$"container ({name})"] = (string)container!["Name"]!;
                        foreach (var mapping in container["PortMappings"]?.AsArray() ?? [])
                        {
                            ports[$"{name} ContainerPort"] = Int(mapping!["ContainerPort"]!);
                        }

                        foreach (var variable in container["Environment"]?.AsArray() ?? [])
                        {
                            if ((string)variable!["Name"]! == "ASPNETCORE_HTTP_PORTS")
                            {
                                ports[$"{name} ASPNETCORE_HTTP_PORTS"] = int.Parse((string)variable["Value"]!);
                            }
                        }
                    }

                    break;
            }
        }
    }

    // YAML scalars arrive as strings (CloudFormation accepts both "8080" and 8080).
    private static int Int(JsonNode? node) => int.Parse(node!.ToString(), System.Globalization.CultureInfo.InvariantCulture);

    private static YamlMappingNode Child(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node)[key];

    [GeneratedRegex(@"^EXPOSE (\d+)", RegexOptions.Multiline)]
    private static partial Regex Expose();

    [GeneratedRegex(@"ASPNETCORE_HTTP_PORTS=(\d+)")]
    private static partial Regex HttpPorts();

    // The bash /dev/tcp probe every health check uses: its port and the path it asks for.
    [GeneratedRegex(@"/dev/tcp/127\.0\.0\.1/(\d+).*?GET (/[\w/]+) HTTP")]
    private static partial Regex HealthProbe();
}
