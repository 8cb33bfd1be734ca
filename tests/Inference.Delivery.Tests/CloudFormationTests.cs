using System.Text.Json.Nodes;
using Inference.Delivery.Tests.Support;

namespace Inference.Delivery.Tests;

/// <summary>
/// deploy/shared.yaml and deploy/infrastructure.yaml, checked offline: the resource specification, then the policies,
/// the trust of the GitHub roles and the wiring between the two stacks.
/// </summary>
public sealed class CloudFormationTests : IDisposable
{
    // Actions that AWS does not scope to a resource: "*" is the only resource they accept.
    private static readonly HashSet<string> ResourceLessActions = new(StringComparer.Ordinal)
    {
        "ecr:GetAuthorizationToken", "ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition",
        "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
        "cloudwatch:PutMetricData",
    };

    private readonly string _directory = Directory.CreateTempSubdirectory("cfn-").FullName;
    private readonly JsonObject _template = CloudFormation.Load(DeliveryFiles.Infrastructure);
    private readonly JsonObject _shared = CloudFormation.Load(DeliveryFiles.SharedInfrastructure);

    public static TheoryData<string> Templates() => new(DeliveryFiles.Templates.Select(t => Path.GetRelativePath(Path.Combine(DeliveryFiles.Root, "deploy"), t)));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static CfnSpec Spec() => new(Tool.Require(DeliveryFiles.CfnSpec, "run 'npm ci' in tools/delivery-lint (scripts/test.sh does)."));

    private static JsonObject Properties(JsonObject template, string resource) => template["Resources"]![resource]!["Properties"]!.AsObject();

    private JsonObject Properties(string resource) => Properties(_template, resource);

    private static JsonObject Load(string file) => CloudFormation.Load(Path.Combine(DeliveryFiles.Root, "deploy", file));

    [SkippableTheory]
    [MemberData(nameof(Templates))]
    public void Every_resource_type_and_property_exists_in_the_cloudformation_specification(string file)
    {
        var template = Load(file);

        var problems = Spec().Check(template);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(CloudFormation.Resources(template).Count() >= 5);
    }

    [SkippableTheory]
    [InlineData("infrastructure.yaml", "HealthCheckPath: /health/ready", "HealthCheckPth: /health/ready", "HealthCheckPth: not a property")]
    [InlineData("infrastructure.yaml", "Type: AWS::ECS::Service", "Type: AWS::ECS::Servise", "unknown resource type AWS::ECS::Servise")]
    [InlineData("shared.yaml", "          SSEAlgorithm: aws:kms", "          SSEAlgoritm: aws:kms", "SSEAlgoritm: not a property")]
    [InlineData("infrastructure.yaml", "      ComputePlatform: ECS", "      ComputePlatfrom: ECS", "ComputePlatfrom: not a property")]
    public void A_misspelled_type_or_property_is_caught(string file, string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(Path.Combine(DeliveryFiles.Root, "deploy", file), t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        var problems = Spec().Check(CloudFormation.Load(broken));

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void No_policy_allows_wildcard_actions_or_any_resource_except_where_aws_has_no_resource_level_permissions(string file)
    {
        Assert.Empty(PolicyProblems(Load(file)));
    }

    [Fact]
    public void A_wildcard_policy_is_caught()
    {
        const string Anchor = "        - PolicyName: read-pinned-models\n          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n";
        var broken = DeliveryFiles.BrokenCopy(
            DeliveryFiles.Infrastructure,
            t => DeliveryFiles.ReplaceFirst(t, Anchor, Anchor + "              - Effect: Allow\n                Action: \"*\"\n                Resource: \"*\"\n"),
            _directory);

        var problems = PolicyProblems(CloudFormation.Load(broken));

        Assert.Equal(["TaskRole: action '*' is a wildcard", "TaskRole: '*' on resource '*'"], problems);
    }

    [Theory]
    [InlineData("infrastructure.yaml", "DeployRole", "repo:${GitHubRepository}:environment:${EnvironmentName}")]
    [InlineData("shared.yaml", "BuildRole", "repo:${GitHubRepository}:ref:refs/heads/main")]
    public void Each_github_role_trusts_exactly_one_subject_of_this_repository(string file, string role, string subject)
    {
        var statement = Assert.Single(Properties(Load(file), role)["AssumeRolePolicyDocument"]!["Statement"]!.AsArray())!;
        var conditions = statement["Condition"]!.AsObject();

        Assert.Equal("sts:AssumeRoleWithWebIdentity", (string)statement["Action"]!);
        Assert.Equal(["StringEquals"], conditions.Select(c => c.Key));
        Assert.Equal("sts.amazonaws.com", (string)conditions["StringEquals"]!["token.actions.githubusercontent.com:aud"]!);
        Assert.Equal(subject, (string)conditions["StringEquals"]!["token.actions.githubusercontent.com:sub"]!["Fn::Sub"]!);
    }

    [Fact]
    public void Building_and_releasing_are_separate_powers()
    {
        var build = Statements(Properties(_shared, "BuildRole")).SelectMany(Actions).ToArray();
        var release = Statements(Properties("DeployRole")).SelectMany(Actions).ToArray();

        Assert.DoesNotContain(build, a => a.StartsWith("ecs:", StringComparison.Ordinal) || a.StartsWith("codedeploy:", StringComparison.Ordinal) || a == "iam:PassRole");
        Assert.DoesNotContain(release, a => a is "ecr:PutImage" or "s3:PutObject");
        Assert.Contains("codedeploy:CreateDeployment", release);
        Assert.Contains("ecr:PutImage", build);
    }

    [Fact]
    public void The_task_role_reads_only_the_models_prefix_of_the_shared_bucket()
    {
        var statements = Statements(Properties("TaskRole")).Where(s => Actions(s).Any(a => a.StartsWith("s3:", StringComparison.Ordinal))).ToArray();

        var only = Assert.Single(statements);
        Assert.Equal(["s3:GetObject", "s3:GetObjectVersion"], Actions(only));
        var sub = only["Resource"]!["Fn::Sub"]!.AsArray();
        Assert.Equal("${ModelsBucketArn}/models/*", (string)sub[0]!);
        Assert.Equal("${SharedStackName}-ModelsBucketArn", (string)sub[1]!["ModelsBucketArn"]!["Fn::ImportValue"]!["Fn::Sub"]!);
    }

    [Fact]
    public void Every_value_an_environment_imports_is_exported_by_the_shared_stack()
    {
        var exported = _shared["Outputs"]!.AsObject().Select(o => (string?)o.Value!["Export"]?["Name"]?["Fn::Sub"]).OfType<string>()
            .Select(name => name.Replace("${AWS::StackName}", "${SharedStackName}", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

        var imported = Imports(_template).ToArray();

        Assert.Equal(2, imported.Distinct(StringComparer.Ordinal).Count());
        Assert.All(imported, name => Assert.Contains(name, exported));
    }

    [Fact]
    public void The_models_bucket_is_versioned_encrypted_and_private()
    {
        var bucket = Properties(_shared, "ModelsBucket");

        Assert.Equal("Enabled", (string)bucket["VersioningConfiguration"]!["Status"]!);
        Assert.Equal("aws:kms", (string)bucket["BucketEncryption"]!["ServerSideEncryptionConfiguration"]![0]!["ServerSideEncryptionByDefault"]!["SSEAlgorithm"]!);
        var block = bucket["PublicAccessBlockConfiguration"]!.AsObject();
        Assert.All(["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], k => Assert.Equal("true", (string)block[k]!));
    }

    [Fact]
    public void Codedeploy_runs_blue_green_with_rollback_on_failure_and_alarms_and_a_termination_wait()
    {
        var group = Properties("DeploymentGroup");
        var service = Properties("Service");

        Assert.Equal("CODE_DEPLOY", (string)service["DeploymentController"]!["Type"]!);
        Assert.Equal("BLUE_GREEN", (string)group["DeploymentStyle"]!["DeploymentType"]!);
        Assert.Equal(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"], group["AutoRollbackConfiguration"]!["Events"]!.AsArray().Select(e => (string)e!));
        Assert.Equal(["Target5xxAlarm", "LatencyP99Alarm"], group["AlarmConfiguration"]!["Alarms"]!.AsArray().Select(a => (string)a!["Name"]!["Ref"]!));
        Assert.True(int.Parse((string)group["BlueGreenDeploymentConfiguration"]!["TerminateBlueInstancesOnDeploymentSuccess"]!["TerminationWaitTimeInMinutes"]!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("p99", (string)Properties("LatencyP99Alarm")["ExtendedStatistic"]!);
        Assert.Equal("HTTPCode_Target_5XX_Count", (string)Properties("Target5xxAlarm")["MetricName"]!);
        Assert.Contains("ECS_ENABLE_GPU_SUPPORT=true", (string)Properties("LaunchTemplate")["LaunchTemplateData"]!["UserData"]!["Fn::Base64"]!["Fn::Sub"]!, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Nothing_refers_to_a_resource_that_its_condition_may_leave_out(string file)
    {
        Assert.Empty(ConditionProblems(Load(file)));
    }

    [Fact]
    public void A_reference_to_a_resource_that_may_not_exist_is_caught()
    {
        var path = DeliveryFiles.BrokenCopy(DeliveryFiles.SharedInfrastructure, t => t + "  OidcProvider:\n    Value: !Ref GitHubOidcProvider\n", _directory);

        Assert.Contains("OidcProvider refers to GitHubOidcProvider", Assert.Single(ConditionProblems(CloudFormation.Load(path))), StringComparison.Ordinal);
    }

    /// <summary>
    /// References from a resource or output to a conditional resource it does not share the condition with: the
    /// stack fails to create when the condition is false.
    /// </summary>
    public static IReadOnlyList<string> ConditionProblems(JsonObject template)
    {
        var conditions = template["Resources"]!.AsObject().ToDictionary(r => r.Key, r => (string?)r.Value!["Condition"], StringComparer.Ordinal);
        var users = template["Resources"]!.AsObject().Concat(template["Outputs"]?.AsObject() ?? []);
        var problems = new List<string>();
        foreach (var (name, body) in users)
        {
            var condition = (string?)body!["Condition"];
            foreach (var (target, guard) in References(body, null).Distinct())
            {
                if (conditions.TryGetValue(target, out var needed) && needed is not null && needed != condition && needed != guard)
                {
                    problems.Add($"{name} refers to {target}, which exists only when {needed}.");
                }
            }
        }

        return problems;
    }

    // Ref, Fn::GetAtt, ${Name} / ${Name.Attribute} inside Fn::Sub, and DependsOn, each with the condition of the
    // innermost Fn::If whose true branch holds it (CloudFormation never resolves the branch it does not take).
    private static IEnumerable<(string Name, string? Guard)> References(JsonNode? node, string? guard)
    {
        if (node is JsonObject obj && obj.Count == 1 && obj["Fn::If"] is JsonArray branches && branches.Count == 3)
        {
            return References(branches[1], (string?)branches[0]).Concat(References(branches[2], guard));
        }

        return node switch
        {
            JsonObject map when CloudFormation.IsIntrinsic(map) => CloudFormation.ReferencedNames(map).Select(n => (n, guard)),
            JsonObject map => map.SelectMany(p => p.Key == "DependsOn"
                ? CloudFormation.AsList(p.Value).Select(d => ((string)d!, guard))
                : p.Key == "Condition" ? [] : References(p.Value, guard)),
            JsonArray array => array.SelectMany(item => References(item, guard)),
            _ => [],
        };
    }

    private static IEnumerable<string> Imports(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Key == "Fn::ImportValue" ? [(string)p.Value!["Fn::Sub"]!] : Imports(p.Value)),
        JsonArray array => array.SelectMany(Imports),
        _ => [],
    };

    /// <summary>Every Allow statement of every role and policy: no wildcard action, and "*" resources only for resource-less actions.</summary>
    public static IReadOnlyList<string> PolicyProblems(JsonObject template)
    {
        var problems = new List<string>();
        foreach (var (name, type, properties) in CloudFormation.Resources(template))
        {
            if (type is not ("AWS::IAM::Role" or "AWS::IAM::Policy" or "AWS::IAM::ManagedPolicy"))
            {
                continue;
            }

            foreach (var statement in Statements(properties).Where(s => (string?)s["Effect"] == "Allow"))
            {
                var actions = Actions(statement);
                var resources = CloudFormation.AsList(statement["Resource"]).Select(r => r is JsonValue v ? (string?)v : null).ToArray();
                foreach (var action in actions.Where(a => a == "*" || a.EndsWith(":*", StringComparison.Ordinal)))
                {
                    problems.Add($"{name}: action '{action}' is a wildcard");
                }

                if (resources.Contains("*"))
                {
                    foreach (var action in actions.Where(a => !ResourceLessActions.Contains(a)))
                    {
                        problems.Add($"{name}: '{action}' on resource '*'");
                    }
                }
            }
        }

        return problems;
    }

    internal static IEnumerable<JsonNode> Statements(JsonObject properties)
    {
        var documents = new List<JsonNode?>();
        if (properties["PolicyDocument"] is { } single)
        {
            documents.Add(single);
        }

        if (properties["Policies"] is JsonArray policies)
        {
            documents.AddRange(policies.Select(p => p!["PolicyDocument"]));
        }

        return documents.Where(d => d is not null).SelectMany(d => CloudFormation.AsList(d!["Statement"])).SelectMany(Branches).Where(s => s is not null)!;
    }

    // A statement written as Fn::If [condition, statement, AWS::NoValue] is checked as the statement it may become.
    private static IEnumerable<JsonNode?> Branches(JsonNode? statement) =>
        statement is JsonObject { Count: 1 } choice && choice["Fn::If"] is JsonArray branches && branches.Count == 3
            ? branches.Skip(1).Where(b => b is JsonObject branch && !CloudFormation.IsIntrinsic(branch)).SelectMany(Branches)
            : [statement];

    internal static string[] Actions(JsonNode statement) => CloudFormation.AsList(statement["Action"]).Select(a => (string)a!).ToArray();
}
