using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Inference.Delivery.Tests.Support;

namespace Inference.Delivery.Tests;

/// <summary>
/// The SageMaker path (deploy/sagemaker, deploy-sagemaker.yml), checked offline: the endpoint's two weighted variants,
/// its scaling, data capture and rollback alarms; the blue/green policy the workflow sends is the template's own and
/// passes the aws CLI's parameter check; the workflow's scripts (run here with the stand-ins) build each mode's
/// endpoint configuration from what the endpoint runs, and record what the endpoint did; the waits nest; and the stack
/// policy freezes what the releases own.
/// </summary>
public sealed partial class SageMakerDeliveryTests : IDisposable
{
    private const string Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/detector@sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string Archive = "s3://detector-models/models/detector/sagemaker/2222222222222222222222222222222222222222222222222222222222222222/model.tar.gz";
    private const string ExecutionRole = "arn:aws:iam::123456789012:role/detector-staging-sagemaker";

    private readonly string _directory = Directory.CreateTempSubdirectory("sagemaker-").FullName;
    private readonly JsonObject _template = CloudFormation.Load(DeliveryFiles.SageMakerTemplate);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Workflow => DeliveryFiles.Workflow("deploy-sagemaker.yml");

    private JsonObject Properties(string resource) => _template["Resources"]![resource]!["Properties"]!.AsObject();

    // --- The endpoint --------------------------------------------------------------------------------------------

    [Fact]
    public void The_endpoint_config_has_a_current_and_a_candidate_variant_with_initial_weights_on_one_instance_type()
    {
        var variants = Properties("EndpointConfig")["ProductionVariants"]!.AsArray();
        var current = variants[0]!;
        var candidate = variants[1]!["Fn::If"]!.AsArray();

        Assert.Equal("current", (string)current["VariantName"]!);
        Assert.Equal("CurrentWeight", (string)current["InitialVariantWeight"]!["Ref"]!);
        Assert.Equal("HasCandidate", (string)candidate[0]!);
        Assert.Equal("candidate", (string)candidate[1]!["VariantName"]!);
        Assert.Equal("CandidateWeight", (string)candidate[1]!["InitialVariantWeight"]!["Ref"]!);
        Assert.All(new[] { current, candidate[1]! }, v => Assert.Equal("InstanceType", (string)v["InstanceType"]!["Ref"]!));
        Assert.Equal("CaptureData", (string)Properties("EndpointConfig")["DataCaptureConfig"]!["Fn::If"]![0]!);
    }

    [Fact]
    public void Both_models_run_the_same_image_started_by_sagemaker_on_cuda_in_network_isolation()
    {
        foreach (var model in new[] { "CurrentModel", "CandidateModel" })
        {
            var container = Properties(model)["PrimaryContainer"]!;
            Assert.Equal("ImageUri", (string)container["Image"]!["Ref"]!);
            Assert.Equal("cuda", (string)container["Environment"]!["Inference__ExecutionProvider"]!);
            Assert.Equal("true", (string)Properties(model)["EnableNetworkIsolation"]!);
        }

        Assert.Matches((string)_template["Parameters"]!["ImageUri"]!["AllowedPattern"]!, Image);
        Assert.Matches((string)_template["Parameters"]!["ModelDataUrl"]!["AllowedPattern"]!, Archive);
    }

    [Fact]
    public void The_current_variant_scales_on_invocations_per_instance_and_only_the_current_one()
    {
        var targets = CloudFormation.Resources(_template).Where(r => r.Type == "AWS::ApplicationAutoScaling::ScalableTarget").ToArray();
        var policy = Properties("CurrentInvocationsPerInstance");

        var target = Assert.Single(targets);
        Assert.Equal("endpoint/detector-${EnvironmentName}/variant/current", (string)target.Properties["ResourceId"]!["Fn::Sub"]!);
        Assert.Equal("sagemaker:variant:DesiredInstanceCount", (string)target.Properties["ScalableDimension"]!);
        Assert.Equal("SageMakerVariantInvocationsPerInstance", (string)policy["TargetTrackingScalingPolicyConfiguration"]!["PredefinedMetricSpecification"]!["PredefinedMetricType"]!);
        Assert.Equal("CurrentScalableTarget", (string)policy["ScalingTargetId"]!["Ref"]!);
    }

    [Fact]
    public void Updates_roll_back_on_both_variants_5xx_and_model_latency()
    {
        Assert.Empty(AlarmProblems(_template));
    }

    [Fact]
    public void An_alarm_that_watches_one_variant_only_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.SageMakerTemplate, t => DeliveryFiles.ReplaceFirst(t, "          Expression: FILL(current, 0) + FILL(candidate, 0)", "          Expression: FILL(current, 0)"), _directory);

        Assert.Contains(AlarmProblems(CloudFormation.Load(broken)), p => p.Contains("Invocation5XXErrors", StringComparison.Ordinal) && p.Contains("candidate", StringComparison.Ordinal));
    }

    // --- The blue/green policy -------------------------------------------------------------------------------------

    [Fact]
    public void The_workflow_sends_the_templates_own_blue_green_policy()
    {
        Assert.Empty(DeploymentConfigProblems(_template, JsonNode.Parse(File.ReadAllText(DeliveryFiles.SageMakerDeploymentConfig))!));
    }

    [Fact]
    public void A_workflow_policy_that_drifts_from_the_template_is_caught()
    {
        var drifted = JsonNode.Parse(File.ReadAllText(DeliveryFiles.SageMakerDeploymentConfig).Replace("\"WaitIntervalInSeconds\": 600", "\"WaitIntervalInSeconds\": 60", StringComparison.Ordinal))!;

        Assert.Contains(DeploymentConfigProblems(_template, drifted), p => p.Contains("WaitIntervalInSeconds", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_update_step_sends_a_blue_green_policy_that_passes_the_aws_cli_parameter_check()
    {
        using var steps = new WorkflowSteps { RealAws = Tool.Aws() };
        var environment = StepEnvironment();
        environment["CONFIG"] = "detector-staging-run-42-1";
        environment["ERRORS_ALARM"] = "detector-staging-sagemaker-5xx";
        environment["LATENCY_ALARM"] = "detector-staging-sagemaker-latency-p99";
        environment["MODE"] = "release";

        var (exitCode, output) = await steps.RunAsync(WorkflowSteps.Script(Workflow, "release", "Update the endpoint"), environment);

        Assert.True(exitCode == 0, output);
        var sent = steps.Sent("sagemaker", "update-endpoint")!;
        Assert.Equal(["detector-staging-sagemaker-5xx", "detector-staging-sagemaker-latency-p99"], sent["AutoRollbackConfiguration"]!["Alarms"]!.AsArray().Select(a => (string)a!["AlarmName"]!));
        Assert.Equal("expected=detector-staging-run-42-1", File.ReadAllLines(Path.Combine(steps.Directory, "github-output"))[0]);
        Assert.Contains(steps.Calls, c => c.StartsWith("aws sagemaker wait endpoint-in-service --endpoint-name detector-staging", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_policy_the_aws_cli_refuses_is_caught_before_anything_is_sent()
    {
        using var steps = new WorkflowSteps { RealAws = Tool.Aws() };
        var script = WorkflowSteps.Script(Workflow, "release", "Update the endpoint")
            .Replace("deploy/sagemaker/deployment-config.json", DeliveryFiles.BrokenCopy(DeliveryFiles.SageMakerDeploymentConfig, t => t.Replace("\"CanarySize\"", "\"CanarySise\"", StringComparison.Ordinal), _directory), StringComparison.Ordinal);
        var environment = StepEnvironment();
        environment["CONFIG"] = "detector-staging-run-42-1";
        environment["ERRORS_ALARM"] = "a";
        environment["LATENCY_ALARM"] = "b";
        environment["MODE"] = "release";

        var (exitCode, output) = await steps.RunAsync(script, environment);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("CanarySise", output, StringComparison.Ordinal);
    }

    // --- Each mode's endpoint configuration, from what the endpoint runs now ---------------------------------------

    [SkippableFact]
    public async Task A_release_puts_the_model_on_current_alone_keeping_instances_type_and_capture()
    {
        using var steps = Steps(candidate: true);

        var (exitCode, output) = await RunConfigAsync(steps, "release");

        Assert.True(exitCode == 0, output);
        var model = steps.Sent("sagemaker", "create-model")!;
        var config = steps.Sent("sagemaker", "create-endpoint-config")!;
        var modelName = (string)model["ModelName"]!;
        Assert.Matches(@"^detector-staging-detector-7-[0-9a-f]{12}$", modelName);
        Assert.Equal(Archive, (string)model["PrimaryContainer"]!["ModelDataUrl"]!);
        Assert.Equal(Image, (string)model["PrimaryContainer"]!["Image"]!);
        Assert.Equal(ExecutionRole, (string)model["ExecutionRoleArn"]!);
        var variant = Assert.Single(config["ProductionVariants"]!.AsArray())!;
        Assert.Equal(("current", modelName, "ml.g5.xlarge", 3, 1.0), ((string)variant["VariantName"]!, (string)variant["ModelName"]!, (string)variant["InstanceType"]!, (int)variant["InitialInstanceCount"]!, (double)variant["InitialVariantWeight"]!));
        Assert.Equal(600, (int)variant["ModelDataDownloadTimeoutInSeconds"]!);
        Assert.Equal(20, (int)config["DataCaptureConfig"]!["InitialSamplingPercentage"]!);
        Assert.Null(config["DataCaptureConfig"]!["CaptureStatus"]);
        Assert.Equal(["endpoint-config=detector-staging-run-42-1", $"model-name={modelName}", "strategy=canary"], Outputs(steps));
    }

    [SkippableFact]
    public async Task An_ab_test_keeps_current_as_it_serves_and_adds_the_model_as_candidate_at_its_share()
    {
        using var steps = Steps(candidate: false);

        var (exitCode, output) = await RunConfigAsync(steps, "ab-test", weight: "0.25");

        Assert.True(exitCode == 0, output);
        var variants = steps.Sent("sagemaker", "create-endpoint-config")!["ProductionVariants"]!.AsArray();
        Assert.Equal(["current", "candidate"], variants.Select(v => (string)v!["VariantName"]!));
        Assert.Equal("detector-staging-detector-6-aaaaaaaaaaaa", (string)variants[0]!["ModelName"]!);
        Assert.Equal(0.75, (double)variants[0]!["InitialVariantWeight"]!);
        Assert.Equal((string)steps.Sent("sagemaker", "create-model")!["ModelName"]!, (string)variants[1]!["ModelName"]!);
        Assert.Equal(0.25, (double)variants[1]!["InitialVariantWeight"]!);
        Assert.Equal((1, "ml.g5.xlarge"), ((int)variants[1]!["InitialInstanceCount"]!, (string)variants[1]!["InstanceType"]!));
        Assert.Contains("strategy=ab-test", Outputs(steps));
    }

    [SkippableFact]
    public async Task Weights_change_in_place_and_only_where_there_is_a_candidate()
    {
        using var steps = Steps(candidate: true);
        using var single = Steps(candidate: false);

        var (exitCode, output) = await RunConfigAsync(steps, "weights", weight: "0.5");
        var (refused, why) = await RunConfigAsync(single, "weights", weight: "0.5");

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain(steps.Calls, c => c.StartsWith("aws sagemaker create-", StringComparison.Ordinal));
        var weights = JsonNode.Parse(File.ReadAllText(Path.Combine(steps.RunnerTemp, "variant-weights.json")))!.AsArray();
        Assert.Equal([("current", 0.5), ("candidate", 0.5)], weights.Select(w => ((string)w!["VariantName"]!, (double)w["DesiredWeight"]!)));
        Assert.Equal(1, refused);
        Assert.Contains("has no candidate variant", why, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("ab-test", "1.5", "between 0 and 1")]
    [InlineData("weights", "lots", "between 0 and 1")]
    [InlineData("shadow", "0.1", "release, ab-test or weights")]
    public async Task A_bad_mode_or_share_stops_before_anything_is_created(string mode, string weight, string expected)
    {
        using var steps = Steps(candidate: true);

        var (exitCode, output) = await RunConfigAsync(steps, mode, weight);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain(steps.Calls, c => c.StartsWith("aws sagemaker", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_release_starts_only_from_an_endpoint_in_service_and_reuses_a_model_it_made()
    {
        using var updating = Steps(candidate: false, status: "Updating");
        using var rerun = Steps(candidate: false);
        rerun.Answer("model-exists", string.Empty);

        var (refused, why) = await RunConfigAsync(updating, "release");
        var (exitCode, output) = await RunConfigAsync(rerun, "release");

        Assert.Equal(1, refused);
        Assert.Contains("is Updating", why, StringComparison.Ordinal);
        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain(rerun.Calls, c => c.StartsWith("aws sagemaker create-model", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_configuration_script_that_drops_the_data_capture_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.Script("sagemaker-endpoint-config.sh"), t => DeliveryFiles.ReplaceFirst(t, "if $config.DataCaptureConfig then", "if false then"), _directory);
        using var steps = Steps(candidate: true);

        await RunConfigAsync(steps, "release", script: broken);

        Assert.Null(steps.Sent("sagemaker", "create-endpoint-config")!["DataCaptureConfig"]);
    }

    [Fact]
    public void The_models_a_release_creates_run_as_the_templates_models_do()
    {
        var script = File.ReadAllText(DeliveryFiles.Script("sagemaker-endpoint-config.sh"));
        var environment = Properties("CurrentModel")["PrimaryContainer"]!["Environment"]!.AsObject();

        Assert.All(environment, e => Assert.Contains($"Environment: {{{e.Key}: \"{(string)e.Value!}\"}}", script, StringComparison.Ordinal));
        Assert.Contains("EnableNetworkIsolation: true", script, StringComparison.Ordinal);
        Assert.StartsWith("detector-${EnvironmentName}-", (string)Properties("CurrentModel")["ModelName"]!["Fn::Sub"]!, StringComparison.Ordinal);
        Assert.Contains("model_name=\"detector-$ENVIRONMENT-", script, StringComparison.Ordinal);
        Assert.Contains("new_config=\"detector-$ENVIRONMENT-", script, StringComparison.Ordinal);
    }

    // --- The archive's pin ------------------------------------------------------------------------------------------

    [SkippableTheory]
    [InlineData("version-1\t2222222222222222222222222222222222222222222222222222222222222222", true)]
    [InlineData("version-2\t2222222222222222222222222222222222222222222222222222222222222222", false)]
    public async Task The_archive_must_still_be_the_pinned_version_before_sagemaker_reads_it(string stored, bool accepted)
    {
        using var steps = new WorkflowSteps();
        steps.ModelShown("""{"model": {"artifact": {"sagemaker_package": {"uri": "ARCHIVE", "version_id": "version-1", "sha256": "2222222222222222222222222222222222222222222222222222222222222222", "size": 1234}}}}""".Replace("ARCHIVE", Archive, StringComparison.Ordinal));
        steps.Answer("head-object", stored);
        var environment = StepEnvironment();
        environment["REQUESTED"] = "detector@7";

        var (exitCode, output) = await steps.RunAsync(WorkflowSteps.Script(Workflow, "release", "Choose the model and check its archive"), environment);

        Assert.Equal(accepted, exitCode == 0);
        Assert.Contains(steps.Calls, c => c == "aws s3api head-object --bucket detector-models --key models/detector/sagemaker/2222222222222222222222222222222222222222222222222222222222222222/model.tar.gz --query [VersionId, Metadata.sha256] --output text");
        if (accepted)
        {
            Assert.Equal(["model=detector@7", $"model-data-url={Archive}"], Outputs(steps));
        }
        else
        {
            Assert.Contains("SageMaker would serve other bytes", output, StringComparison.Ordinal);
        }
    }

    // --- What the endpoint did, recorded ----------------------------------------------------------------------------

    [SkippableTheory]
    [InlineData("InService", "detector-staging-run-42-1", "", "succeeded")]
    [InlineData("InService", "detector-staging-bootstrap", "", "rolled-back")]
    [InlineData("Failed", "detector-staging-run-42-1", "", "failed")]
    [InlineData("UpdateRollbackFailed", "detector-staging-run-42-1", "", "failed")]
    [InlineData("InService", "detector-staging-run-42-1", "0.5", "succeeded")]
    [InlineData("InService", "detector-staging-run-42-1", "0.3", "rolled-back")]
    public async Task The_registry_records_what_the_endpoint_did(string state, string config, string weight, string status)
    {
        using var steps = new WorkflowSteps();
        steps.Answer("sagemaker-endpoint", Endpoint(state, config, candidate: true, failure: "Alarm detector-staging-sagemaker-5xx went off"));

        var (exitCode, output) = await RunOutcomeAsync(steps, "detector-staging-run-42-1", weight);

        Assert.True(exitCode == 0, output);
        Assert.Equal([$"status={status}"], Outputs(steps));
        var finish = Assert.Single(steps.Calls, c => c.StartsWith("inference registry deployment finish", StringComparison.Ordinal));
        Assert.Contains($"--status {status}", finish, StringComparison.Ordinal);
        if (status != "succeeded")
        {
            Assert.Contains("https://github.com/acme/detector/actions/runs/42", finish, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task A_release_that_never_updated_the_endpoint_is_failed_and_one_still_updating_stays_in_progress()
    {
        using var early = new WorkflowSteps();
        using var running = new WorkflowSteps();
        running.Answer("sagemaker-endpoint", Endpoint("Updating", "detector-staging-bootstrap", candidate: false));

        var (earlyExit, earlyOutput) = await RunOutcomeAsync(early, string.Empty, string.Empty);
        var (runningExit, runningOutput) = await RunOutcomeAsync(running, "detector-staging-run-42-1", string.Empty);

        Assert.True(earlyExit == 0, earlyOutput);
        Assert.Equal(["status=failed"], Outputs(early));
        Assert.DoesNotContain(early.Calls, c => c.StartsWith("aws ", StringComparison.Ordinal));
        Assert.NotEqual(0, runningExit);
        Assert.Contains("inference registry deployment finish --id 0123456789abcdef01234567", runningOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(running.Calls, c => c.StartsWith("inference registry deployment finish", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task An_outcome_that_trusts_the_waiter_instead_of_the_endpoint_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.Script("record-sagemaker-outcome.sh"), t => DeliveryFiles.ReplaceFirst(t, "if [ \"$config\" != \"$expected\" ]; then", "if false; then"), _directory);
        using var steps = new WorkflowSteps();
        steps.Answer("sagemaker-endpoint", Endpoint("InService", "detector-staging-bootstrap", candidate: false));

        await RunOutcomeAsync(steps, "detector-staging-run-42-1", string.Empty, broken);

        Assert.Equal(["status=succeeded"], Outputs(steps));
    }

    [Fact]
    public void The_outcome_is_recorded_whatever_happened_and_the_notification_says_it()
    {
        var steps = CloudFormation.Load(Workflow)["jobs"]!["release"]!["steps"]!.AsArray();
        var outcome = steps.Single(s => (string?)s!["name"] == "Record the outcome")!;
        var notify = steps.Single(s => (string?)s!["name"] == "Notify")!;

        Assert.Equal("always() && steps.record.outputs.id != ''", (string)outcome["if"]!);
        Assert.Equal("always()", (string)notify["if"]!);
        Assert.Equal("${{ steps.outcome.outputs.status || job.status }}", (string)notify["env"]!["STATUS"]!);
        Assert.Equal("${{ steps.update.outputs.expected }}", (string)outcome["env"]!["EXPECTED"]!);
    }

    // --- Timeouts, locks, roles, frozen resources ------------------------------------------------------------------

    [Fact]
    public void The_job_outlasts_the_waiter_and_the_waiter_the_update()
    {
        Assert.Empty(WaitProblems(File.ReadAllText(Workflow), JsonNode.Parse(File.ReadAllText(DeliveryFiles.SageMakerDeploymentConfig))!));
    }

    [Theory]
    [InlineData("    timeout-minutes: 90\n    environment:", "    timeout-minutes: 60\n    environment:", "", "shorter than")]
    [InlineData("", "", "\"MaximumExecutionTimeoutInSeconds\": 3000", "MaximumExecutionTimeoutInSeconds")]
    public void A_wait_that_does_not_nest_is_caught(string good, string bad, string config, string expected)
    {
        var workflow = good.Length == 0 ? File.ReadAllText(Workflow) : DeliveryFiles.ReplaceFirst(File.ReadAllText(Workflow), good, bad);
        var policy = File.ReadAllText(DeliveryFiles.SageMakerDeploymentConfig);
        if (config.Length > 0)
        {
            policy = DeliveryFiles.ReplaceFirst(policy, config, "\"MaximumExecutionTimeoutInSeconds\": 7200");
        }

        Assert.Contains(WaitProblems(workflow, JsonNode.Parse(policy)!), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_release_job_holds_its_endpoints_lock_in_its_environment_with_its_own_role()
    {
        var release = CloudFormation.Load(Workflow)["jobs"]!["release"]!;

        Assert.Equal("detector-sagemaker-${{ inputs.environment }}", (string)release["concurrency"]!["group"]!);
        Assert.Equal("false", (string)release["concurrency"]!["cancel-in-progress"]!);
        Assert.Equal("${{ inputs.environment }}", (string)release["environment"]!);
        Assert.Equal(["release"], ReleaseWorkflowTests.JobsInAnEnvironment(Workflow).Select(j => j.Split(" / ")[1]));
        Assert.Contains(release["steps"]!.AsArray(), s => (string?)s!["with"]?["role-to-assume"] == "${{ vars.SAGEMAKER_DEPLOY_ROLE_ARN }}");
    }

    [Fact]
    public void The_deploy_role_trusts_its_environment_and_reaches_only_its_own_endpoint_models_and_configurations()
    {
        Assert.Empty(DeployRoleProblems(_template));
    }

    [Fact]
    public void A_deploy_role_that_may_update_any_endpoint_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.SageMakerTemplate, t => DeliveryFiles.ReplaceFirst(t, ":endpoint/detector-${EnvironmentName}\"", ":endpoint/*\""), _directory);

        Assert.Contains(DeployRoleProblems(CloudFormation.Load(broken)), p => p.Contains("endpoint/*", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void The_stack_policy_freezes_exactly_what_the_releases_own()
    {
        var spec = new CfnSpec(Tool.Require(DeliveryFiles.CfnSpec, "run 'npm ci' in tools/delivery-lint (scripts/test.sh does)."));
        var frozen = FrozenResources.ForSageMaker(_template, spec);

        Assert.Equal(["Endpoint"], frozen.Unchangeable);
        Assert.Subset(frozen.Irreplaceable.ToHashSet(), new HashSet<string> { "EndpointConfig", "CurrentModel", "ExecutionRole", "ErrorsAlarm", "LatencyAlarm" });
        Assert.Empty(FrozenAfterFirstReleaseTests.PolicyProblems(_template, JsonNode.Parse(File.ReadAllText(DeliveryFiles.SageMakerStackPolicy))!.AsObject(), frozen));
        Assert.Empty(FrozenAfterFirstReleaseTests.ParameterProblems(_template, frozen));
    }

    [SkippableFact]
    public void A_stack_policy_that_lets_a_stack_update_put_the_endpoint_back_is_caught()
    {
        var spec = new CfnSpec(Tool.Require(DeliveryFiles.CfnSpec, "run 'npm ci' in tools/delivery-lint (scripts/test.sh does)."));
        var policy = JsonNode.Parse(DeliveryFiles.ReplaceFirst(File.ReadAllText(DeliveryFiles.SageMakerStackPolicy), "        \"LogicalResourceId/Endpoint\"\n", string.Empty))!.AsObject();

        Assert.Contains(FrozenAfterFirstReleaseTests.PolicyProblems(_template, policy, FrozenResources.ForSageMaker(_template, spec)), p => p.StartsWith("Endpoint:", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_sagemaker_variable_in_the_readme_names_an_output_of_the_endpoint_stack()
    {
        var readme = File.ReadAllText(Path.Combine(DeliveryFiles.Root, "README.md"));
        var pairs = LambdaDeliveryTests.ReadmeOutputs(readme).Where(p => p.Variable.StartsWith("SAGEMAKER_", StringComparison.Ordinal)).ToArray();
        var used = WorkflowVariable().Matches(File.ReadAllText(Workflow)).Select(m => m.Groups[1].Value).Where(v => v.StartsWith("SAGEMAKER_", StringComparison.Ordinal)).Distinct();
        var outputs = _template["Outputs"]!.AsObject().Select(o => o.Key).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(used.Order(), pairs.Select(p => p.Variable).Order());
        Assert.All(pairs, p => Assert.True(outputs.Contains(p.Output), $"{p.Variable}: deploy/sagemaker/endpoint.yaml has no output {p.Output}."));
    }

    // --- Checks, each returning sentences ---------------------------------------------------------------------------

    /// <summary>
    /// The endpoint rolls back on two alarms, one on Invocation5XXErrors and one on ModelLatency, each over both
    /// variants (an A/B candidate fails too), and both notify.
    /// </summary>
    public static IReadOnlyList<string> AlarmProblems(JsonObject template)
    {
        var problems = new List<string>();
        var endpoint = CloudFormation.Resources(template).Single(r => r.Type == "AWS::SageMaker::Endpoint").Properties;
        var alarms = endpoint["DeploymentConfig"]!["AutoRollbackConfiguration"]!["Alarms"]!.AsArray().Select(a => (string)a!["AlarmName"]!["Ref"]!).ToArray();
        foreach (var metric in new[] { "Invocation5XXErrors", "ModelLatency" })
        {
            var alarm = alarms.FirstOrDefault(a => template["Resources"]![a]!["Properties"]!["Metrics"]!.AsArray().Any(m => (string?)m!["MetricStat"]?["Metric"]?["MetricName"] == metric));
            if (alarm is null)
            {
                problems.Add($"No rollback alarm watches {metric}.");
                continue;
            }

            var queries = template["Resources"]![alarm]!["Properties"]!["Metrics"]!.AsArray();
            var result = queries.Single(q => (string?)q!["ReturnData"] == "true")!;
            foreach (var variant in new[] { "current", "candidate" })
            {
                var query = queries.SingleOrDefault(q => q!["MetricStat"]?["Metric"]?["Dimensions"]?.AsArray().Any(d => (string)d!["Name"]! == "VariantName" && (string?)d["Value"] == variant) == true);
                if (query is null || !Regex.IsMatch((string?)result["Expression"] ?? string.Empty, $@"\b{(string)query["Id"]!}\b"))
                {
                    problems.Add($"{alarm} ({metric}) does not count the {variant} variant.");
                }
            }
        }

        return problems;
    }

    /// <summary>deploy/sagemaker/deployment-config.json is the template endpoint's DeploymentConfig, alarms by placeholder.</summary>
    public static IReadOnlyList<string> DeploymentConfigProblems(JsonObject template, JsonNode file)
    {
        var endpoint = CloudFormation.Resources(template).Single(r => r.Type == "AWS::SageMaker::Endpoint");
        var expected = endpoint.Properties["DeploymentConfig"]!.DeepClone();
        var placeholders = new Dictionary<string, string>(StringComparer.Ordinal) { ["ErrorsAlarm"] = "<ERRORS_ALARM>", ["LatencyAlarm"] = "<LATENCY_ALARM>" };
        foreach (var alarm in expected["AutoRollbackConfiguration"]!["Alarms"]!.AsArray())
        {
            alarm!["AlarmName"] = placeholders[(string)alarm["AlarmName"]!["Ref"]!];
        }

        var problems = new List<string>();
        Compare(Normalise(expected), Normalise(file), "DeploymentConfig", problems);
        return problems;
    }

    /// <summary>
    /// The release job's timeout covers the endpoint waiter (120 polls 30 s apart) plus 15 minutes around it, and the
    /// waiter covers the whole update (MaximumExecutionTimeoutInSeconds), which covers its canary and baking waits.
    /// </summary>
    public static IReadOnlyList<string> WaitProblems(string workflow, JsonNode deploymentConfig)
    {
        const int WaiterMinutes = 120 * 30 / 60;
        const int Around = 15;
        var problems = new List<string>();
        var path = Path.Combine(Path.GetTempPath(), $"workflow-{Guid.NewGuid():N}.yml");
        File.WriteAllText(path, workflow);
        try
        {
            var timeout = int.Parse((string)CloudFormation.Load(path)["jobs"]!["release"]!["timeout-minutes"]!, System.Globalization.CultureInfo.InvariantCulture);
            if (timeout < WaiterMinutes + Around)
            {
                problems.Add($"deploy-sagemaker.yml: the release job's timeout ({timeout} min) is shorter than the endpoint waiter ({WaiterMinutes} min) and the steps around it ({Around} min).");
            }
        }
        finally
        {
            File.Delete(path);
        }

        var policy = deploymentConfig["BlueGreenUpdatePolicy"]!;
        var maximum = (int)policy["MaximumExecutionTimeoutInSeconds"]!;
        var waits = (int)policy["TrafficRoutingConfiguration"]!["WaitIntervalInSeconds"]! + (int)policy["TerminationWaitInSeconds"]!;
        if (maximum > WaiterMinutes * 60)
        {
            problems.Add($"MaximumExecutionTimeoutInSeconds ({maximum} s) outlasts the endpoint waiter ({WaiterMinutes * 60} s): the job would stop waiting while the update runs.");
        }

        if (maximum <= waits)
        {
            problems.Add($"MaximumExecutionTimeoutInSeconds ({maximum} s) does not cover the canary and baking waits ({waits} s).");
        }

        return problems;
    }

    /// <summary>Trusted for its GitHub environment only; SageMaker actions on this environment's endpoint, models and configurations only.</summary>
    public static IReadOnlyList<string> DeployRoleProblems(JsonObject template)
    {
        var problems = new List<string>();
        var role = template["Resources"]!["DeployRole"]!["Properties"]!.AsObject();
        var trust = role["AssumeRolePolicyDocument"]!["Statement"]![0]!["Condition"]!["StringEquals"]!;
        if ((string?)trust["token.actions.githubusercontent.com:sub"]?["Fn::Sub"] != "repo:${GitHubRepository}:environment:${EnvironmentName}")
        {
            problems.Add("The deploy role is not trusted for exactly its GitHub environment.");
        }

        foreach (var statement in CloudFormationTests.Statements(role))
        {
            if (!CloudFormationTests.Actions(statement).Any(a => a.StartsWith("sagemaker:", StringComparison.Ordinal)))
            {
                continue;
            }

            foreach (var resource in CloudFormation.AsList(statement["Resource"]).Select(r => (string?)r?["Fn::Sub"] ?? (string?)r))
            {
                if (resource is null || !Regex.IsMatch(resource, @":(endpoint/detector-\$\{EnvironmentName\}|endpoint-config/detector-\$\{EnvironmentName\}-\*|model/detector-\$\{EnvironmentName\}-\*)$"))
                {
                    problems.Add($"The deploy role's SageMaker actions reach {resource}, beyond this environment's endpoint/detector-ENV, endpoint-config/detector-ENV-* and model/detector-ENV-*.");
                }
            }
        }

        return problems;
    }

    // --- Helpers --------------------------------------------------------------------------------------------------

    /// <summary>A staging endpoint serving detector@6 on current (3 instances), with candidate when asked, capturing 20%.</summary>
    private static WorkflowSteps Steps(bool candidate, string status = "InService")
    {
        var steps = new WorkflowSteps { RealAws = Tool.Aws() };
        steps.Answer("sagemaker-endpoint", Endpoint(status, "detector-staging-run-41-1", candidate));
        var variants = new JsonArray(Variant("current", "detector-staging-detector-6-aaaaaaaaaaaa", 0.9));
        if (candidate)
        {
            variants.Add(Variant("candidate", "detector-staging-detector-7-bbbbbbbbbbbb", 0.1));
        }

        steps.Answer("endpoint-config.json", new JsonObject
        {
            ["EndpointConfigName"] = "detector-staging-run-41-1",
            ["EndpointConfigArn"] = "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/detector-staging-run-41-1",
            ["ProductionVariants"] = variants,
            ["DataCaptureConfig"] = new JsonObject
            {
                ["EnableCapture"] = true,
                ["InitialSamplingPercentage"] = 20,
                ["DestinationS3Uri"] = "s3://capture/capture",
                ["CaptureOptions"] = new JsonArray(new JsonObject { ["CaptureMode"] = "Input" }, new JsonObject { ["CaptureMode"] = "Output" }),
                ["CaptureStatus"] = "Started",
            },
            ["CreationTime"] = "2026-12-01T10:00:00.000000+00:00",
        }.ToJsonString());
        return steps;
    }

    private static JsonObject Variant(string name, string model, double weight) => new()
    {
        ["VariantName"] = name,
        ["ModelName"] = model,
        ["InitialInstanceCount"] = 1,
        ["InstanceType"] = "ml.g5.xlarge",
        ["InitialVariantWeight"] = weight,
        ["ModelDataDownloadTimeoutInSeconds"] = 600,
        ["ContainerStartupHealthCheckTimeoutInSeconds"] = 600,
    };

    /// <summary>DescribeEndpoint's answer, on one line (the stand-in answers a line per call).</summary>
    private static string Endpoint(string status, string config, bool candidate, string? failure = null)
    {
        var variants = new JsonArray(new JsonObject { ["VariantName"] = "current", ["CurrentWeight"] = candidate ? 0.5 : 1.0, ["CurrentInstanceCount"] = 3, ["DesiredInstanceCount"] = 3 });
        if (candidate)
        {
            variants.Add(new JsonObject { ["VariantName"] = "candidate", ["CurrentWeight"] = 0.5, ["CurrentInstanceCount"] = 1, ["DesiredInstanceCount"] = 1 });
        }

        var endpoint = new JsonObject
        {
            ["EndpointName"] = "detector-staging",
            ["EndpointArn"] = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/detector-staging",
            ["EndpointConfigName"] = config,
            ["EndpointStatus"] = status,
            ["ProductionVariants"] = variants,
        };
        if (failure is not null)
        {
            endpoint["FailureReason"] = failure;
        }

        return endpoint.ToJsonString();
    }

    private static Task<(int ExitCode, string Output)> RunConfigAsync(WorkflowSteps steps, string mode, string weight = "0.1", string? script = null)
    {
        var environment = StepEnvironment();
        environment["ENDPOINT"] = "detector-staging";
        environment["ENVIRONMENT"] = "staging";
        environment["CANDIDATE_WEIGHT"] = weight;
        environment["MODEL"] = "detector@7";
        environment["MODEL_DATA_URL"] = Archive;
        environment["IMAGE"] = Image;
        environment["EXECUTION_ROLE_ARN"] = ExecutionRole;
        environment["GITHUB_RUN_ID"] = "42";
        environment["GITHUB_RUN_ATTEMPT"] = "1";
        var run = WorkflowSteps.Script(Workflow, "release", "Prepare the endpoint configuration");
        if (script is not null)
        {
            run = run.Replace("deploy/scripts/sagemaker-endpoint-config.sh", script, StringComparison.Ordinal);
        }

        return steps.RunAsync(run.Replace("\"$MODE\"", mode, StringComparison.Ordinal), environment);
    }

    private static Task<(int ExitCode, string Output)> RunOutcomeAsync(WorkflowSteps steps, string expected, string weight, string? script = null)
    {
        var environment = StepEnvironment();
        environment["ID"] = "0123456789abcdef01234567";
        environment["EXPECTED"] = expected;
        environment["WEIGHT"] = weight;
        environment["REASON"] = "release";
        environment["ENDPOINT"] = "detector-staging";
        environment["RUN_URL"] = "https://github.com/acme/detector/actions/runs/42";
        var run = WorkflowSteps.Script(Workflow, "release", "Record the outcome");
        if (script is not null)
        {
            run = run.Replace("deploy/scripts/record-sagemaker-outcome.sh", script, StringComparison.Ordinal);
        }

        return steps.RunAsync(run, environment);
    }

    // The release job's environment, as GitHub would set it for a staging release.
    private static Dictionary<string, string> StepEnvironment() => new(StringComparer.Ordinal)
    {
        ["AWS_REGION"] = "us-east-1",
        ["ENDPOINT"] = "detector-staging",
        ["ENVIRONMENT"] = "staging",
        ["MODE"] = "release",
    };

    private static string[] Outputs(WorkflowSteps steps) =>
        File.Exists(Path.Combine(steps.Directory, "github-output")) ? File.ReadAllLines(Path.Combine(steps.Directory, "github-output")) : [];

    // YAML scalars arrive as strings, JSON numbers as numbers: compare their text.
    private static JsonNode? Normalise(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Normalise(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Normalise).ToArray()),
        JsonValue value => JsonValue.Create(value.ToString()),
        _ => null,
    };

    private static void Compare(JsonNode? expected, JsonNode? actual, string path, List<string> problems)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    Compare(e[key], a[key], $"{path}.{key}", problems);
                }

                break;
            case (JsonArray e, JsonArray a) when e.Count == a.Count:
                for (var i = 0; i < e.Count; i++)
                {
                    Compare(e[i], a[i], $"{path}[{i}]", problems);
                }

                break;
            default:
                if (expected?.ToJsonString() != actual?.ToJsonString())
                {
                    problems.Add($"{path}: the template says {expected?.ToJsonString() ?? "nothing"}, deployment-config.json {actual?.ToJsonString() ?? "nothing"}.");
                }

                break;
        }
    }

    [GeneratedRegex(@"\bvars\.([A-Z][A-Z0-9_]*)")]
    private static partial Regex WorkflowVariable();
}
