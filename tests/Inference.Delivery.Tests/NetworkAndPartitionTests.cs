using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Inference.Delivery.Tests.Support;

namespace Inference.Delivery.Tests;

/// <summary>
/// The validator's requests reach the test listener whichever load balancer scheme an environment has, and nothing
/// in the delivery files assumes the commercial partition (GovCloud and China have their own ARNs and domains).
/// </summary>
public sealed partial class NetworkAndPartitionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("network-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An environment as the README sets it up, with where the validator's requests leave from and arrive at.</summary>
    public sealed record Scheme(string Name, IReadOnlyDictionary<string, string> Environment, IReadOnlyDictionary<string, string> Validator, string Source, string Listener);

    // Internal: the validator in its private subnets calls the listener's private address. Internet-facing: clients
    // are a public range, and the validator reaches the listener's public address through its NAT gateway's address.
    private static readonly Scheme[] Schemes =
    [
        new("internal", new Dictionary<string, string> { ["LoadBalancerScheme"] = "internal" }, new Dictionary<string, string>(), Source: "10.20.3.7", Listener: "10.20.1.15"),
        new(
            "internet-facing",
            new Dictionary<string, string> { ["LoadBalancerScheme"] = "internet-facing", ["ClientCidr"] = "198.18.0.0/15", ["ValidatorCidr"] = "203.0.113.7/32" },
            new Dictionary<string, string> { ["TestListenerCidr"] = "0.0.0.0/0" },
            Source: "203.0.113.7",
            Listener: "198.51.100.20"),
    ];

    public static TheoryData<string> SchemeNames() => new(Schemes.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(SchemeNames))]
    public void The_validator_reaches_the_test_listener(string scheme)
    {
        Assert.Empty(PathProblems(CloudFormation.Load(DeliveryFiles.Infrastructure), CloudFormation.Load(DeliveryFiles.ValidatorTemplate), Schemes.Single(s => s.Name == scheme)));
    }

    [Fact]
    public void A_test_listener_open_to_the_clients_instead_of_the_validator_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(
            DeliveryFiles.Infrastructure,
            t => DeliveryFiles.ReplaceFirst(t, "          ToPort: 9000\n          CidrIp: !Ref ValidatorCidr", "          ToPort: 9000\n          CidrIp: !Ref ClientCidr"),
            _directory);

        var problems = PathProblems(CloudFormation.Load(broken), CloudFormation.Load(DeliveryFiles.ValidatorTemplate), Schemes[1]);

        Assert.Contains("refuses 203.0.113.7", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("internet-facing", "10.0.0.0/8", false)]
    [InlineData("internet-facing", "203.0.113.7/32", true)]
    [InlineData("internal", "10.0.0.0/8", true)]
    public void An_internet_facing_stack_needs_the_validators_public_address(string scheme, string validatorCidr, bool accepted)
    {
        var template = CloudFormation.Load(DeliveryFiles.Infrastructure);
        var values = Parameters(template, new Dictionary<string, string> { ["LoadBalancerScheme"] = scheme, ["ValidatorCidr"] = validatorCidr });

        Assert.Equal(accepted, RuleFailures(template, values).Count == 0);
        Assert.Matches((string)template["Parameters"]!["ValidatorCidr"]!["AllowedPattern"]!, validatorCidr);
    }

    [Fact]
    public void Nothing_assumes_the_commercial_partition()
    {
        Assert.Empty(PartitionProblems(PartitionFiles().ToDictionary(f => f, File.ReadAllText)));
    }

    [Theory]
    [InlineData("deploy/infrastructure.yaml", "!Sub \"arn:${AWS::Partition}:iam::aws:policy/AWSCodeDeployRoleForECS\"", "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS", "arn:aws:")]
    [InlineData("deploy/lambda/template.yaml", "s3.${AWS::Region}.${AWS::URLSuffix}", "s3.${AWS::Region}.amazonaws.com", "amazonaws.com")]
    public void A_hard_coded_partition_is_caught(string file, string good, string bad, string expected)
    {
        var text = DeliveryFiles.ReplaceFirst(File.ReadAllText(Path.Combine(DeliveryFiles.Root, file)), good, bad);

        Assert.Contains(expected, Assert.Single(PartitionProblems(new Dictionary<string, string> { [file] = text })), StringComparison.Ordinal);
    }

    /// <summary>
    /// With the environment's parameters, the validator's egress on the test port reaches the listener and the load
    /// balancer's ingress on that port admits the validator's source address, and no one else's range.
    /// </summary>
    public static IReadOnlyList<string> PathProblems(JsonObject infrastructure, JsonObject validator, Scheme scheme)
    {
        var port = int.Parse((string)infrastructure["Resources"]!["TestListener"]!["Properties"]!["Port"]!, System.Globalization.CultureInfo.InvariantCulture);
        var environment = Parameters(infrastructure, scheme.Environment);
        var validatorValues = Parameters(validator, scheme.Validator);
        var problems = new List<string>();

        var egress = Rules(validator, "SecurityGroup", "SecurityGroupEgress", port).Select(r => Value(r, validatorValues)).ToArray();
        if (!egress.Any(cidr => Contains(cidr, scheme.Listener)))
        {
            problems.Add($"{scheme.Name}: the validator's egress on port {port} ({string.Join(", ", egress)}) does not reach the test listener at {scheme.Listener}.");
        }

        var ingress = Rules(infrastructure, "LoadBalancerSecurityGroup", "SecurityGroupIngress", port).Select(r => Value(r, environment)).ToArray();
        if (!ingress.Any(cidr => Contains(cidr, scheme.Source)))
        {
            problems.Add($"{scheme.Name}: the test listener (port {port}) admits {string.Join(", ", ingress)} and refuses {scheme.Source}, where the validator's requests come from.");
        }

        return problems;
    }

    /// <summary>The assertions of the template's Rules that fail for these parameter values (Equals, Not, And, Or, Ref).</summary>
    public static IReadOnlyList<string> RuleFailures(JsonObject template, IReadOnlyDictionary<string, string> values)
    {
        var failures = new List<string>();
        foreach (var (_, rule) in template["Rules"]?.AsObject() ?? [])
        {
            if (rule!["RuleCondition"] is { } condition && !Evaluate(condition, values))
            {
                continue;
            }

            failures.AddRange(rule["Assertions"]!.AsArray().Where(a => !Evaluate(a!["Assert"]!, values)).Select(a => (string)a!["AssertDescription"]!));
        }

        return failures;
    }

    /// <summary>ARNs written for the commercial partition, and AWS endpoints written with its domain.</summary>
    public static IReadOnlyList<string> PartitionProblems(IReadOnlyDictionary<string, string> files)
    {
        var problems = new List<string>();
        foreach (var (file, text) in files)
        {
            foreach (Match match in CommercialArn().Matches(text))
            {
                problems.Add($"{file}: '{match.Value}…' names the aws partition; write arn:${{AWS::Partition}}:.");
            }

            foreach (Match match in CommercialEndpoint().Matches(text))
            {
                problems.Add($"{file}: '{match.Value}' is an endpoint in the amazonaws.com domain; write ${{AWS::URLSuffix}}.");
            }
        }

        return problems;
    }

    private static IEnumerable<string> PartitionFiles()
    {
        var deploy = Directory.GetFiles(Path.Combine(DeliveryFiles.Root, "deploy"), "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".sh", StringComparison.Ordinal));
        return [.. deploy, .. DeliveryFiles.Workflows, DeliveryFiles.TaskDefinition];
    }

    private static IEnumerable<JsonNode> Rules(JsonObject template, string group, string direction, int port) =>
        (template["Resources"]![group]!["Properties"]![direction]?.AsArray() ?? [])
            .Where(r => int.Parse((string)r!["FromPort"]!, System.Globalization.CultureInfo.InvariantCulture) <= port && port <= int.Parse((string)r["ToPort"]!, System.Globalization.CultureInfo.InvariantCulture))!;

    private static string Value(JsonNode rule, Dictionary<string, string> values) =>
        rule["CidrIp"] is JsonValue literal ? (string)literal! : values[(string)rule["CidrIp"]!["Ref"]!];

    // Defaults, overridden by the given values.
    private static Dictionary<string, string> Parameters(JsonObject template, IReadOnlyDictionary<string, string> given)
    {
        var values = (template["Parameters"]?.AsObject() ?? []).Where(p => p.Value!["Default"] is not null)
            .ToDictionary(p => p.Key, p => (string)p.Value!["Default"]!, StringComparer.Ordinal);
        foreach (var (name, value) in given)
        {
            values[name] = value;
        }

        return values;
    }

    private static bool Evaluate(JsonNode node, IReadOnlyDictionary<string, string> values) => node.AsObject().Single() switch
    {
        { Key: "Fn::Equals" } equals => Text(equals.Value!.AsArray()[0]!, values) == Text(equals.Value!.AsArray()[1]!, values),
        { Key: "Fn::Not" } not => !Evaluate(not.Value!.AsArray()[0]!, values),
        { Key: "Fn::And" } and => and.Value!.AsArray().All(c => Evaluate(c!, values)),
        { Key: "Fn::Or" } or => or.Value!.AsArray().Any(c => Evaluate(c!, values)),
        var other => throw new NotSupportedException($"Rule function {other.Key} is not evaluated here."),
    };

    private static string Text(JsonNode node, IReadOnlyDictionary<string, string> values) =>
        node is JsonValue ? (string)node! : values[(string)node["Ref"]!];

    private static bool Contains(string cidr, string address)
    {
        var network = IPNetwork.Parse(cidr);
        return network.Contains(IPAddress.Parse(address));
    }

    [GeneratedRegex(@"arn:aws:[a-z0-9-]*")]
    private static partial Regex CommercialArn();

    // A hostname (service.region.amazonaws.com), not a service principal such as ecs-tasks.amazonaws.com.
    [GeneratedRegex(@"[a-z0-9-]+\.(\$\{AWS::Region\}|[a-z]{2}-[a-z]+-\d)\.amazonaws\.com")]
    private static partial Regex CommercialEndpoint();
}
