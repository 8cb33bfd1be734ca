using System.Text.Json.Nodes;
using Inference.Delivery.Tests.Support;

namespace Inference.Delivery.Tests;

/// <summary>
/// After the first release CodeDeploy owns the service's task set, the listeners' traffic and the live alias: each
/// stack's policy (deploy/stack-policy.json, deploy/lambda/stack-policy.json) keeps CloudFormation from changing them
/// back, and the parameters that would change them say so. The frozen list is worked out from the templates
/// (<see cref="FrozenResources"/>), so a new reference is frozen too or the test fails.
/// </summary>
public sealed class FrozenAfterFirstReleaseTests : IDisposable
{
    private const string FrozenNote = "Frozen after the first release";

    private readonly string _directory = Directory.CreateTempSubdirectory("frozen-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Stacks() => new("ecs", "lambda");

    [SkippableTheory]
    [MemberData(nameof(Stacks))]
    public void The_stack_policy_freezes_exactly_what_codedeploy_owns(string stack)
    {
        var (template, policy, frozen) = Load(stack);

        Assert.Empty(PolicyProblems(template, policy, frozen));
    }

    [SkippableFact]
    public void The_ecs_stack_freezes_the_listeners_whole_and_the_service_task_definition_and_target_groups_against_replacement()
    {
        var (_, _, ecs) = Load("ecs");
        var (_, _, lambda) = Load("lambda");

        Assert.Equal(["ProductionListener", "TestListener"], ecs.Unchangeable.Order(StringComparer.Ordinal));
        Assert.Subset(ecs.Irreplaceable.ToHashSet(), new HashSet<string> { "Service", "BootstrapTaskDefinition", "BlueTargetGroup", "GreenTargetGroup", "GpuCapacityProvider", "LoadBalancer" });
        Assert.Equal(["LiveAlias"], lambda.Unchangeable);
        Assert.Equal(["Function", "InitialVersion"], lambda.Irreplaceable.Order(StringComparer.Ordinal));
    }

    [SkippableTheory]
    [InlineData("ecs", "        \"LogicalResourceId/ProductionListener\",\n", "", "ProductionListener")]
    [InlineData("ecs", "        \"LogicalResourceId/BootstrapTaskDefinition\",\n", "", "BootstrapTaskDefinition")]
    [InlineData("lambda", "        \"LogicalResourceId/LiveAlias\"\n", "        \"LogicalResourceId/CandidateAlias\"\n", "LiveAlias")]
    [InlineData("ecs", "\"Action\": [\"Update:Replace\", \"Update:Delete\"]", "\"Action\": [\"Update:Replace\"]", "Update:Delete")]
    public void A_policy_that_leaves_something_codedeploy_owns_open_is_caught(string stack, string good, string bad, string expected)
    {
        var (template, _, frozen) = Load(stack);
        var broken = DeliveryFiles.BrokenCopy(PolicyPath(stack), t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        Assert.Contains(PolicyProblems(template, JsonNode.Parse(File.ReadAllText(broken))!.AsObject(), frozen), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void A_new_reference_from_the_service_is_frozen_with_it()
    {
        var broken = DeliveryFiles.BrokenCopy(
            DeliveryFiles.Infrastructure,
            t => DeliveryFiles.ReplaceFirst(t, "          SecurityGroups: [!Ref ServiceSecurityGroup]", "          SecurityGroups: [!Ref ServiceSecurityGroup, !Ref InstanceSecurityGroup]"),
            _directory);
        var template = CloudFormation.Load(broken);

        var frozen = FrozenResources.ForEcs(template, Spec());

        Assert.Contains("InstanceSecurityGroup", frozen.Irreplaceable);
        Assert.Contains(PolicyProblems(template, Policy("ecs"), frozen), p => p.Contains("InstanceSecurityGroup", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Stacks))]
    public void Exactly_the_parameters_that_would_change_what_codedeploy_owns_say_they_are_frozen(string stack)
    {
        var (template, _, frozen) = Load(stack);

        Assert.Empty(ParameterProblems(template, frozen));
        Assert.NotEmpty(frozen.Parameters);
    }

    [SkippableFact]
    public void A_frozen_parameter_that_does_not_say_so_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.Infrastructure, t => DeliveryFiles.ReplaceFirst(t, "embedded demo model until the first release. Frozen after the first release:", "embedded demo model until the first release. Afterwards:"), _directory);
        var template = CloudFormation.Load(broken);

        Assert.Contains("InitialImage", Assert.Single(ParameterProblems(template, FrozenResources.ForEcs(template, Spec()))), StringComparison.Ordinal);
    }

    [Fact]
    public void The_readme_sets_each_policy_and_compares_with_ecs_native_blue_green()
    {
        var readme = File.ReadAllText(Path.Combine(DeliveryFiles.Root, "README.md"));

        Assert.Contains("set-stack-policy --stack-name \"detector-$env\" --stack-policy-body file://deploy/stack-policy.json", readme, StringComparison.Ordinal);
        Assert.Contains("set-stack-policy --stack-name \"detector-light-$env\" --stack-policy-body file://deploy/lambda/stack-policy.json", readme, StringComparison.Ordinal);
        Assert.Contains("BLUE_GREEN", readme, StringComparison.Ordinal);
    }

    /// <summary>
    /// The policy allows every update, then denies any update of the unchangeable resources and replacement or deletion
    /// of the irreplaceable ones: exactly those, each a resource of the template.
    /// </summary>
    public static IReadOnlyList<string> PolicyProblems(JsonObject template, JsonObject policy, FrozenResources frozen)
    {
        var statements = policy["Statement"]!.AsArray().Select(s => s!.AsObject()).ToArray();
        var problems = new List<string>();
        var resources = template["Resources"]!.AsObject().Select(r => r.Key).ToHashSet(StringComparer.Ordinal);

        if (!statements.Any(s => (string?)s["Effect"] == "Allow" && Strings(s["Action"]).SequenceEqual(["Update:*"]) && Strings(s["Resource"]).SequenceEqual(["*"])))
        {
            problems.Add("The policy does not allow the other updates (Allow Update:* on *): with a stack policy, whatever it does not allow is denied.");
        }

        HashSet<string> Denied(params string[] actions) => statements
            .Where(s => (string?)s["Effect"] == "Deny" && actions.All(a => Strings(s["Action"]).Contains(a) || Strings(s["Action"]).Contains("Update:*")))
            .SelectMany(s => Strings(s["Resource"])).Select(r => r.Replace("LogicalResourceId/", string.Empty, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

        var everything = Denied("Update:Modify", "Update:Replace", "Update:Delete");
        var replacement = Denied("Update:Replace", "Update:Delete");
        foreach (var name in frozen.Unchangeable.Where(n => !everything.Contains(n)))
        {
            problems.Add($"{name}: CodeDeploy changes it after the first release, but the policy lets a stack update change it back (deny Update:*).");
        }

        foreach (var name in frozen.Irreplaceable.Where(n => !replacement.Contains(n)))
        {
            problems.Add($"{name}: replacing it would pull it from under CodeDeploy's release, but the policy allows Update:Replace and Update:Delete.");
        }

        foreach (var name in everything.Except(frozen.Unchangeable).Where(n => !frozen.Irreplaceable.Contains(n)).Concat(replacement.Except(frozen.Unchangeable).Except(frozen.Irreplaceable)).Distinct())
        {
            problems.Add($"{name}: the policy freezes it, but CodeDeploy does not own it{(resources.Contains(name) ? string.Empty : " (and the template has no such resource)")}.");
        }

        foreach (var name in everything.Intersect(frozen.Irreplaceable))
        {
            problems.Add($"{name}: the policy denies every update, but only its replacement needs denying (its other settings stay the stack's).");
        }

        return problems;
    }

    /// <summary>Frozen parameters say so in their description, and no other parameter does.</summary>
    public static IReadOnlyList<string> ParameterProblems(JsonObject template, FrozenResources frozen)
    {
        var problems = new List<string>();
        foreach (var (name, parameter) in template["Parameters"]!.AsObject())
        {
            var says = ((string?)parameter!["Description"])?.Contains(FrozenNote, StringComparison.Ordinal) == true;
            if (frozen.Parameters.Contains(name) && !says)
            {
                problems.Add($"{name} changes what CodeDeploy owns after the first release; its description must say '{FrozenNote}'.");
            }
            else if (!frozen.Parameters.Contains(name) && says)
            {
                problems.Add($"{name} says it is frozen, but nothing CodeDeploy owns depends on it.");
            }
        }

        return problems;
    }

    private static (JsonObject Template, JsonObject Policy, FrozenResources Frozen) Load(string stack)
    {
        var spec = Spec();
        if (stack == "ecs")
        {
            var template = CloudFormation.Load(DeliveryFiles.Infrastructure);
            return (template, Policy(stack), FrozenResources.ForEcs(template, spec));
        }

        var lambda = CloudFormation.Load(DeliveryFiles.LambdaTemplate);
        return (lambda, Policy(stack), FrozenResources.ForLambda(lambda, CloudFormation.Load(DeliveryFiles.LambdaAppSpec), spec));
    }

    private static string PolicyPath(string stack) =>
        stack == "ecs" ? Path.Combine(DeliveryFiles.Root, "deploy", "stack-policy.json") : Path.Combine(DeliveryFiles.Root, "deploy", "lambda", "stack-policy.json");

    private static JsonObject Policy(string stack) => JsonNode.Parse(File.ReadAllText(PolicyPath(stack)))!.AsObject();

    private static CfnSpec Spec() => new(Tool.Require(DeliveryFiles.CfnSpec, "run 'npm ci' in tools/delivery-lint (scripts/test.sh does)."));

    private static IEnumerable<string> Strings(JsonNode? node) => CloudFormation.AsList(node).Select(n => (string)n!);
}
