using System.Text.Json.Nodes;
using Inference.Delivery.Tests.Support;
using Inference.Testing.Gpu;
using YamlDotNet.RepresentationModel;

namespace Inference.Delivery.Tests;

/// <summary>
/// Tests that need a GPU run inside AWS (deploy/ci/gpu-tests.yaml, buildspec-gpu.yml, ci.yml's gpu job), checked
/// offline: a GPU build environment on a type CUDA 13 runs on, the buildspec selecting exactly the GPU-marked tests and
/// running the benchmark on CUDA behind its thresholds, a role that can start this one project, and ci.yml calling it
/// on main and on pull requests labelled gpu.
/// </summary>
public sealed class GpuInAwsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpu-in-aws-").FullName;
    private readonly JsonObject _template = CloudFormation.Load(DeliveryFiles.GpuTestsTemplate);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private JsonObject Properties(string resource) => _template["Resources"]![resource]!["Properties"]!.AsObject();

    [Fact]
    public void The_project_is_a_gpu_container_on_a_gpu_type_that_cuda_13_runs_on_and_builds_the_buildspec()
    {
        var project = Properties("Project");
        var types = _template["Parameters"]!["ComputeType"]!["AllowedValues"]!.AsArray().Select(t => (string)t!).ToArray();

        Assert.Equal("LINUX_GPU_CONTAINER", (string)project["Environment"]!["Type"]!);
        Assert.Equal("ComputeType", (string)project["Environment"]!["ComputeType"]!["Ref"]!);
        // CodeBuild's large GPU type is V100-class (sm_70): ONNX Runtime 1.31's CUDA 13 provider has no code for it.
        Assert.Equal(["BUILD_GENERAL1_SMALL"], types);
        Assert.Equal("buildspec-gpu.yml", (string)project["Source"]!["BuildSpec"]!);
        Assert.True(File.Exists(DeliveryFiles.GpuBuildSpec));
        Assert.Contains("nvidia/cuda:13.", (string)_template["Parameters"]!["BuildImage"]!["Default"]!, StringComparison.Ordinal);
        Assert.Contains("FROM nvidia/cuda:13.", File.ReadAllText(DeliveryFiles.GpuDockerfile), StringComparison.Ordinal);
    }

    [Fact]
    public void The_buildspec_runs_the_gpu_tests_the_trait_marks_then_the_cuda_benchmark_behind_its_thresholds()
    {
        Assert.Empty(BuildSpecProblems(DeliveryFiles.GpuBuildSpec));
    }

    [Theory]
    [InlineData("--filter Category=Gpu", "--filter Category=GPU", "Category=Gpu")]
    [InlineData("Inference__ExecutionProvider=cuda bash benchmarks/http-benchmark.sh", "bash benchmarks/http-benchmark.sh", "Inference__ExecutionProvider=cuda")]
    [InlineData("    OnnxRuntimeFlavor: Gpu\n", "", "OnnxRuntimeFlavor")]
    [InlineData("      - bash benchmarks/check-thresholds.sh", "      - echo benchmarks/check-thresholds.sh", "check-thresholds.sh")]
    public void A_buildspec_that_skips_a_step_is_caught(string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.GpuBuildSpec, t => t.Replace(good, bad, StringComparison.Ordinal), _directory);

        Assert.Contains(BuildSpecProblems(broken), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_buildspec_checks_the_fixtures_against_the_same_sums_as_ci()
    {
        var ci = File.ReadAllText(DeliveryFiles.Workflow("ci.yml"));
        var buildspec = File.ReadAllText(DeliveryFiles.GpuBuildSpec);
        var sums = System.Text.RegularExpressions.Regex.Matches(ci, "[0-9a-f]{64}  [a-z_]+\\.onnx").Select(m => m.Value).ToArray();

        Assert.Equal(2, sums.Length);
        Assert.All(sums, s => Assert.Contains(s, buildspec, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_thresholds_pass_the_committed_report_and_fail_a_slower_one_with_the_reason()
    {
        var script = Path.Combine(DeliveryFiles.Root, "benchmarks", "check-thresholds.sh");
        var report = Path.Combine(DeliveryFiles.Root, "benchmarks", "results", "http-yolox-nano.json");
        Tool.Jq();
        var slower = DeliveryFiles.BrokenCopy(report, t => System.Text.RegularExpressions.Regex.Replace(t, "\"httpToRawBest\": [0-9.]+", "\"httpToRawBest\": 0.41"), _directory);

        var (passed, passOutput) = await Tool.RunAsync("bash", script, report);
        var (failed, failOutput) = await Tool.RunAsync("bash", script, slower);
        var (wrongProvider, providerOutput) = await Tool.RunAsync("bash", script, report, "--provider", "cuda");

        Assert.True(passed == 0, passOutput);
        Assert.Equal(1, failed);
        Assert.Contains("reached 0.41 x the best raw ORT throughput; the threshold is 0.6", failOutput, StringComparison.Ordinal);
        Assert.Equal(1, wrongProvider);
        Assert.Contains("not cuda", providerOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_starts_the_project_on_main_and_on_pull_requests_labelled_gpu_with_a_pinned_action()
    {
        var ci = CloudFormation.Load(DeliveryFiles.Workflow("ci.yml"));
        var gpu = ci["jobs"]!["gpu"]!;
        var run = gpu["steps"]!.AsArray().Single(s => ((string?)s!["uses"])?.StartsWith("aws-actions/aws-codebuild-run-build@", StringComparison.Ordinal) == true)!;

        Assert.Equal("github.event_name == 'push' || contains(github.event.pull_request.labels.*.name, 'gpu')", (string)gpu["if"]!);
        Assert.Contains("labeled", ci["on"]!["pull_request"]!["types"]!.AsArray().Select(t => (string)t!));
        Assert.Equal(["main"], ci["on"]!["push"]!["branches"]!.AsArray().Select(b => (string)b!));
        Assert.Equal("${{ vars.GPU_TESTS_PROJECT }}", (string)run["with"]!["project-name"]!);
        Assert.Equal("write", (string)gpu["permissions"]!["id-token"]!);
        Assert.Equal("github.event.action != 'labeled'", (string)ci["jobs"]!["test"]!["if"]!);
        Assert.Contains(gpu["steps"]!.AsArray(), s => (string?)s!["with"]?["role-to-assume"] == "${{ vars.GPU_TESTS_ROLE_ARN }}");
    }

    [Fact]
    public void The_ci_role_may_start_follow_and_stop_this_project_only_and_the_build_may_deploy_nothing()
    {
        var github = CloudFormationTests.Statements(Properties("GitHubRole")).ToArray();
        var build = CloudFormationTests.Statements(Properties("BuildRole")).SelectMany(CloudFormationTests.Actions).ToArray();
        var trust = (JsonArray)Properties("GitHubRole")["AssumeRolePolicyDocument"]!["Statement"]![0]!["Condition"]!["StringEquals"]!["token.actions.githubusercontent.com:sub"]!;

        Assert.Equal(["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"], CloudFormationTests.Actions(github[0]));
        Assert.Equal(["Project"], CloudFormation.ReferencedNames(github[0]["Resource"]));
        Assert.Equal(["logs:GetLogEvents"], CloudFormationTests.Actions(github[1]));
        Assert.Equal(["repo:${GitHubRepository}:ref:refs/heads/main", "repo:${GitHubRepository}:pull_request"], trust.Select(t => (string)t!["Fn::Sub"]!));
        Assert.DoesNotContain(build, a => a.StartsWith("secretsmanager:", StringComparison.Ordinal) || a.StartsWith("ecr:", StringComparison.Ordinal) || a == "iam:PassRole");
    }

    /// <summary>
    /// The buildspec builds the GPU flavour, selects the tests by the trait's own category, runs the benchmark with the
    /// CUDA provider and then its threshold check, and keeps both reports.
    /// </summary>
    public static IReadOnlyList<string> BuildSpecProblems(string path)
    {
        var problems = new List<string>();
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var variables = (YamlMappingNode)((YamlMappingNode)root["env"])["variables"];
        if (!variables.Children.TryGetValue(new YamlScalarNode("OnnxRuntimeFlavor"), out var flavour) || ((YamlScalarNode)flavour).Value != "Gpu")
        {
            problems.Add("The buildspec does not set OnnxRuntimeFlavor=Gpu: the tests would load the CPU ONNX Runtime package.");
        }

        var build = ((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)root["phases"])["build"])["commands"]).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
        var filter = $"--filter {GpuTraitDiscoverer.Category}={GpuTraitDiscoverer.Gpu}";
        var tests = build.Where(c => c.StartsWith("dotnet test ", StringComparison.Ordinal)).ToArray();
        if (tests.Length == 0 || !tests.All(c => c.Contains(filter, StringComparison.Ordinal) && c.Contains("--logger trx", StringComparison.Ordinal)))
        {
            problems.Add($"Every 'dotnet test' must select the GPU trait ({filter}) and write TRX.");
        }

        var benchmark = build.FindIndex(c => c.Contains("benchmarks/http-benchmark.sh", StringComparison.Ordinal));
        if (benchmark < 0 || !build[benchmark].StartsWith("Inference__ExecutionProvider=cuda ", StringComparison.Ordinal))
        {
            problems.Add("The HTTP benchmark must run with Inference__ExecutionProvider=cuda.");
        }

        var gate = build.FindIndex(c => c.StartsWith("bash benchmarks/check-thresholds.sh", StringComparison.Ordinal));
        if (gate < 0 || gate < benchmark || !build[gate].Contains("--provider cuda", StringComparison.Ordinal))
        {
            problems.Add("benchmarks/check-thresholds.sh must check the CUDA benchmark's report after it ran.");
        }

        var report = (YamlMappingNode)((YamlMappingNode)root["reports"]).Children.Single().Value;
        if (((YamlScalarNode)report["file-format"]).Value != "VisualStudioTrx")
        {
            problems.Add("The test report must be read as VisualStudioTrx.");
        }

        var artifacts = ((YamlSequenceNode)((YamlMappingNode)root["artifacts"])["files"]).Children.Select(c => ((YamlScalarNode)c).Value!).ToArray();
        if (!artifacts.Any(a => a.StartsWith("TestResults/", StringComparison.Ordinal)) || !artifacts.Any(a => a.StartsWith("benchmark-gpu/", StringComparison.Ordinal)))
        {
            problems.Add("Both reports (TestResults/ and benchmark-gpu/) must be kept as artifacts.");
        }

        return problems;
    }
}
