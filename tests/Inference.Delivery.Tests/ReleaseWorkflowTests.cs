using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Inference.Cli.Deploy;
using Inference.Cli.Registry;
using Inference.Delivery.Tests.Support;
using Inference.Registry.Deployments;
using Inference.Registry.Models;
using MongoDB.Bson;

namespace Inference.Delivery.Tests;

/// <summary>
/// What a first real release meets: an image pushed once, green placed on the GPU capacity provider, credentials that
/// outlive the wait, a registry that records what CodeDeploy did, rollbacks that put back what their target ran with
/// one approval, a release lock held only while the validator is in use, and a current deploy action. The workflows'
/// own scripts run here with the stand-ins for aws, docker and inference (<see cref="WorkflowSteps"/>).
/// </summary>
public sealed partial class ReleaseWorkflowTests : IDisposable
{
    private const string Registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    private const string ExistingDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string PushedDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string RecordId = "0123456789abcdef01234567";

    private readonly string _directory = Directory.CreateTempSubdirectory("release-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string EcsRelease => DeliveryFiles.Workflow("deploy-environment.yml");

    private static string LambdaRelease => DeliveryFiles.Workflow("deploy-lambda.yml");

    public static TheoryData<string, string, string> ImageSteps() => new()
    {
        { "deploy-ecs.yml", "detector", "Dockerfile.gpu" },
        { "deploy-lambda.yml", "detector-lambda", "Dockerfile.lambda --platform linux/amd64 --provenance=false" },
    };

    public static TheoryData<string> ReleaseWorkflows() => new("deploy-environment.yml", "deploy-lambda.yml");

    // --- 1. Green is placed on the environment's GPU capacity provider --------------------------------------------

    [SkippableFact]
    public async Task Each_release_places_green_on_its_environments_capacity_provider()
    {
        var template = CloudFormation.Load(DeliveryFiles.Infrastructure);
        var provider = Properties(template, "GpuCapacityProvider");
        var service = Properties(template, "Service");
        var name = ((string)provider["Name"]!["Fn::Sub"]!).Replace("${EnvironmentName}", "staging", StringComparison.Ordinal);
        using var steps = new WorkflowSteps();

        var (exitCode, output) = await steps.RunAsync(WorkflowSteps.Script(EcsRelease, "release", "Render the appspec"), Environment(("CAPACITY_PROVIDER", name)));

        Assert.True(exitCode == 0, output);
        Assert.Empty(AppSpecProblems(Path.Combine(steps.RunnerTemp, "appspec.yaml"), name));
        Assert.Equal("GpuCapacityProvider", (string)service["CapacityProviderStrategy"]![0]!["CapacityProvider"]!["Ref"]!);
        Assert.Equal("GpuCapacityProvider", (string)template["Outputs"]!["CapacityProviderName"]!["Value"]!["Ref"]!);
        Assert.Contains(LambdaDeliveryTests.ReadmeOutputs(File.ReadAllText(Path.Combine(DeliveryFiles.Root, "README.md"))), p => p is { Variable: "CAPACITY_PROVIDER", Output: "CapacityProviderName" });
        Assert.Equal("${{ vars.CAPACITY_PROVIDER }}", StepEnvironment(EcsRelease, "release", "Render the appspec")["CAPACITY_PROVIDER"]);
        Assert.Equal("${{ runner.temp }}/appspec.yaml", (string)DeployStep()["with"]!["codedeploy-appspec"]!);
    }

    [Fact]
    public void An_appspec_without_the_capacity_provider_strategy_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(
            DeliveryFiles.AppSpec,
            t => Regex.Replace(t, @"        CapacityProviderStrategy:\n(          .*\n)+", string.Empty),
            _directory);

        Assert.Contains("no CapacityProviderStrategy", Assert.Single(AppSpecProblems(broken, "<CAPACITY_PROVIDER>")), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_environment_without_its_capacity_provider_variable_stops_before_codedeploy()
    {
        using var steps = new WorkflowSteps();

        var (exitCode, output) = await steps.RunAsync(WorkflowSteps.Script(EcsRelease, "release", "Render the appspec"), Environment(("CAPACITY_PROVIDER", string.Empty)));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("No value for <CAPACITY_PROVIDER>", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(steps.RunnerTemp, "appspec.yaml")));
    }

    // --- 2. An image is pushed once; a commit that has one is released by its digest -------------------------------

    [SkippableTheory]
    [MemberData(nameof(ImageSteps))]
    public async Task A_commit_that_has_its_image_is_released_by_that_digest_without_a_build(string workflow, string repository, string build)
    {
        _ = build;
        using var steps = new WorkflowSteps();
        steps.Answer($"ecr-{repository}", ExistingDigest);

        var (exitCode, output) = await RunImageStepAsync(steps, workflow);

        Assert.True(exitCode == 0, output);
        Assert.Equal($"{Registry}/{repository}@{ExistingDigest}", steps.Outputs["image"]);
        Assert.DoesNotContain(steps.Calls, c => c.StartsWith("docker ", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(ImageSteps))]
    public async Task A_new_commit_is_built_pushed_once_and_released_by_digest(string workflow, string repository, string build)
    {
        using var steps = new WorkflowSteps();
        steps.Answer($"ecr-{repository}", "none");
        steps.Answer("pushed-digest", PushedDigest);

        var (exitCode, output) = await RunImageStepAsync(steps, workflow);

        Assert.True(exitCode == 0, output);
        Assert.Equal($"{Registry}/{repository}@{PushedDigest}", steps.Outputs["image"]);
        var tag = $"{Registry}/{repository}:{WorkflowSteps.Sha}";
        Assert.Equal([$"docker build -f {build} -t {tag} .", $"docker push {tag}", $"docker inspect --format {{{{index .RepoDigests 0}}}} {tag}"], steps.Calls.Where(c => c.StartsWith("docker ", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public async Task A_run_that_loses_the_race_to_push_takes_the_winners_digest()
    {
        using var steps = new WorkflowSteps();
        steps.Answer("ecr-detector", $"none\n{ExistingDigest}");
        steps.Answer("push-refused", string.Empty);

        var (exitCode, output) = await RunImageStepAsync(steps, "deploy-ecs.yml");

        Assert.True(exitCode == 0, output);
        Assert.Equal($"{Registry}/detector@{ExistingDigest}", steps.Outputs["image"]);
        Assert.Contains("Another run pushed", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_repository_that_cannot_be_read_stops_the_step_before_any_build()
    {
        using var steps = new WorkflowSteps();
        steps.Answer("ecr-detector", "Error: An error occurred (AccessDeniedException) when calling the DescribeImages operation: not authorized");

        var (exitCode, output) = await RunImageStepAsync(steps, "deploy-ecs.yml");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("AccessDeniedException", output, StringComparison.Ordinal);
        Assert.DoesNotContain(steps.Calls, c => c.StartsWith("docker ", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_step_that_always_rebuilds_is_caught_on_a_second_run()
    {
        var broken = DeliveryFiles.BrokenCopy(
            Path.Combine(DeliveryFiles.Root, "deploy", "scripts", "push-image.sh"),
            t => DeliveryFiles.ReplaceFirst(t, "digest=\"$(pushed_digest)\"\nif [ -n \"$digest\" ]; then", "digest=\"\"\nif [ -n \"$digest\" ]; then"),
            _directory);
        using var steps = new WorkflowSteps();
        steps.Answer("ecr-detector", ExistingDigest);
        steps.Answer("push-refused", string.Empty);

        var script = DeliveryFiles.ReplaceFirst(WorkflowSteps.Script(DeliveryFiles.Workflow("deploy-ecs.yml"), "image", "Build and push the GPU image, tagged with the commit"), "deploy/scripts/push-image.sh", broken);
        await steps.RunAsync(script, new Dictionary<string, string> { ["REGISTRY"] = Registry });

        Assert.Contains(steps.Calls, c => c.StartsWith("docker build ", StringComparison.Ordinal));
        Assert.Contains(steps.Calls, c => c.StartsWith("docker push ", StringComparison.Ordinal));
    }

    // --- 3. Credentials outlive the job; the registry records what CodeDeploy did ---------------------------------

    [Fact]
    public void Every_job_holds_credentials_as_long_as_it_may_run()
    {
        Assert.Empty(CredentialProblems(DeliveryFiles.Workflows, Roles()));
    }

    [Theory]
    [InlineData("deploy/infrastructure.yaml", "      MaxSessionDuration: 7200", "      MaxSessionDuration: 3600", "MaxSessionDuration of AWS_DEPLOY_ROLE_ARN")]
    [InlineData(".github/workflows/deploy-environment.yml", "          role-duration-seconds: 7200\n", "", "for 3600 s but may run 6000 s")]
    [InlineData(".github/workflows/deploy-environment.yml", "    timeout-minutes: 100\n", "", "has no timeout-minutes")]
    public void A_job_that_may_outlive_its_credentials_is_caught(string file, string good, string bad, string expected)
    {
        var copy = Path.Combine(_directory, "copy");
        foreach (var original in new[] { "deploy/infrastructure.yaml", "deploy/shared.yaml", "deploy/lambda/template.yaml", "deploy/lambda/preprocess.yaml", "deploy/sagemaker/endpoint.yaml", "deploy/training/training.yaml", "deploy/ci/gpu-tests.yaml", ".github/workflows/deploy-environment.yml" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(copy, original))!);
            File.Copy(Path.Combine(DeliveryFiles.Root, original), Path.Combine(copy, original));
        }

        DeliveryFiles.BrokenCopy(Path.Combine(DeliveryFiles.Root, file), t => DeliveryFiles.ReplaceFirst(t, good, bad), Path.GetDirectoryName(Path.Combine(copy, file))!);

        var problems = CredentialProblems([Path.Combine(copy, ".github/workflows/deploy-environment.yml")], Roles(copy));

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Each_release_job_outlasts_everything_it_waits_for()
    {
        Assert.Empty(WaitProblems(File.ReadAllText(EcsRelease), File.ReadAllText(LambdaRelease)));
    }

    [Theory]
    [InlineData("          wait-for-minutes: 60", "          wait-for-minutes: 90", "deploy-environment.yml")]
    [InlineData("    timeout-minutes: 55", "    timeout-minutes: 40", "deploy-lambda.yml")]
    public void A_wait_longer_than_its_job_is_caught(string good, string bad, string expected)
    {
        var ecs = File.ReadAllText(EcsRelease);
        var lambda = File.ReadAllText(LambdaRelease);

        var problems = expected == "deploy-environment.yml" ? WaitProblems(DeliveryFiles.ReplaceFirst(ecs, good, bad), lambda) : WaitProblems(ecs, DeliveryFiles.ReplaceFirst(lambda, good, bad));

        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData("deploy-environment.yml", "Succeeded", "succeeded", false)]
    [InlineData("deploy-environment.yml", "Failed", "rolled-back", false)]
    [InlineData("deploy-environment.yml", "Stopped", "stopped", false)]
    [InlineData("deploy-environment.yml", "InProgress\nInProgress\nStopped", "stopped", true)]
    [InlineData("deploy-environment.yml", "Baking\nSucceeded", "succeeded", true)]
    [InlineData("deploy-lambda.yml", "Succeeded", "succeeded", false)]
    [InlineData("deploy-lambda.yml", "Failed", "rolled-back", false)]
    [InlineData("deploy-lambda.yml", "InProgress\nStopped", "stopped", true)]
    public async Task The_registry_records_what_codedeploy_did(string workflow, string states, string status, bool stopped)
    {
        using var steps = new WorkflowSteps();
        steps.Answer("codedeploy-states", states);

        var (exitCode, output) = await RunOutcomeStepAsync(steps, DeliveryFiles.Workflow(workflow), "d-ABCDEFGHI");

        Assert.True(exitCode == 0, output);
        Assert.Equal(status, steps.Outputs["status"]);
        var finish = Assert.Single(steps.Calls, c => c.StartsWith("inference registry deployment finish ", StringComparison.Ordinal));
        Assert.StartsWith($"inference registry deployment finish --id {RecordId} --status {status} --reason ", finish, StringComparison.Ordinal);
        Assert.Contains("--codedeploy-id d-ABCDEFGHI", finish, StringComparison.Ordinal);
        Assert.Equal(stopped, steps.Calls.Contains("aws deploy stop-deployment --deployment-id d-ABCDEFGHI --auto-rollback-enabled"));
        Assert.True(status == "succeeded" ? finish.Contains("--reason release --", StringComparison.Ordinal) : finish.Contains($"CodeDeploy {states.Split('\n')[^1]} (https://github.com/", StringComparison.Ordinal), finish);
        if (workflow == "deploy-environment.yml")
        {
            Assert.EndsWith("--task-definition-arn arn:aws:ecs:us-east-1:123456789012:task-definition/detector:7", finish, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task A_release_that_failed_before_codedeploy_started_is_recorded_failed()
    {
        using var steps = new WorkflowSteps();

        var (exitCode, output) = await RunOutcomeStepAsync(steps, EcsRelease, codeDeployId: string.Empty);

        Assert.True(exitCode == 0, output);
        Assert.Equal("failed", steps.Outputs["status"]);
        Assert.DoesNotContain(steps.Calls, c => c.StartsWith("aws deploy ", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task An_unreadable_codedeploy_status_leaves_the_record_in_progress_rather_than_guessed()
    {
        using var steps = new WorkflowSteps();
        steps.Answer("codedeploy-states", "Error: An error occurred (ExpiredTokenException) when calling the GetDeployment operation: The security token included in the request is expired");

        var (exitCode, output) = await RunOutcomeStepAsync(steps, EcsRelease, "d-ABCDEFGHI");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ExpiredTokenException", output, StringComparison.Ordinal);
        Assert.DoesNotContain(steps.Calls, c => c.StartsWith("inference registry deployment finish", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_deployment_that_will_not_stop_is_left_in_progress_with_the_command_that_closes_it()
    {
        using var steps = new WorkflowSteps();
        steps.Answer("codedeploy-states", "InProgress");

        var (exitCode, output) = await RunOutcomeStepAsync(steps, EcsRelease, "d-ABCDEFGHI");

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"inference registry deployment finish --id {RecordId} --status", output, StringComparison.Ordinal);
        Assert.Equal(21, steps.Calls.Count(c => c.StartsWith("aws deploy get-deployment ", StringComparison.Ordinal)));
        Assert.DoesNotContain(steps.Calls, c => c.StartsWith("inference registry deployment finish", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_record_that_does_not_ask_codedeploy_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(
            Path.Combine(DeliveryFiles.Root, "deploy", "scripts", "record-outcome.sh"),
            t => DeliveryFiles.ReplaceFirst(t, "  state=\"$(read_state)\"\n  case", "  state=Failed\n  case"),
            _directory);
        using var steps = new WorkflowSteps();
        steps.Answer("codedeploy-states", "Succeeded");

        var script = DeliveryFiles.ReplaceFirst(WorkflowSteps.Script(EcsRelease, "release", "Record the outcome"), "deploy/scripts/record-outcome.sh", broken);
        await steps.RunAsync(script, OutcomeEnvironment(EcsRelease, "d-ABCDEFGHI"));

        Assert.NotEqual("succeeded", steps.Outputs["status"]);
    }

    [Fact]
    public void The_outcome_is_recorded_whatever_happened_to_the_job_and_the_notification_says_it()
    {
        foreach (var workflow in new[] { EcsRelease, LambdaRelease })
        {
            var steps = CloudFormation.Load(workflow)["jobs"]!["release"]!["steps"]!.AsArray();
            var outcome = steps.Single(s => (string?)s!["name"] == "Record the outcome")!;

            Assert.Equal("always() && steps.record.outputs.id != ''", (string)outcome["if"]!);
            Assert.StartsWith("bash deploy/scripts/record-outcome.sh \"$ID\" \"$CODEDEPLOY_ID\"", (string)outcome["run"]!, StringComparison.Ordinal);
            Assert.DoesNotContain(steps, s => ((string?)s!["run"])?.Contains("--status rolled-back", StringComparison.Ordinal) == true);
            Assert.Equal("${{ steps.outcome.outputs.status || job.status }}", StepEnvironment(workflow, "release", "Notify")["STATUS"]);
        }
    }

    // --- 4. A rollback puts back what its target ran, with one approval ------------------------------------------

    [Fact]
    public void A_rollback_asks_for_one_approval()
    {
        Assert.Equal(["deploy-environment.yml / release"], JobsInAnEnvironment(DeliveryFiles.Workflow("rollback.yml")));
    }

    [Fact]
    public void A_rollback_that_gates_on_the_environment_twice_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(
            DeliveryFiles.Workflow("rollback.yml"),
            t => DeliveryFiles.ReplaceFirst(t, "jobs:\n", "jobs:\n  target:\n    runs-on: ubuntu-24.04\n    environment: ${{ inputs.environment }}\n    steps:\n      - run: echo find the target\n\n"),
            _directory);

        Assert.Equal(2, JobsInAnEnvironment(broken).Count);
    }

    [SkippableFact]
    public async Task A_rollback_releases_its_targets_model_image_and_task_definition_and_records_what_it_restores()
    {
        using var steps = new WorkflowSteps { RealAws = Tool.Aws() };
        var (target, recorded) = RollbackTargetShown(image: ImageOf('b'));
        steps.Answer("rollback-target.json", CliJson.Serialize(RollbackTargetOutput.Json(target)));
        steps.Answer("task-definition-described.json", Described(recorded, ImageOf('b')).ToJsonString());

        var chosen = await steps.RunAsync(WorkflowSteps.Script(EcsRelease, "release", "Choose what to release"), Environment(("ROLLBACK", "true"), ("REQUESTED", string.Empty), ("IMAGE", string.Empty), ("ENVIRONMENT", "production")));
        var outputs = steps.Outputs;
        var taken = await steps.RunAsync(WorkflowSteps.Script(EcsRelease, "release", "Take the task definition the rollback target ran"), Environment(("TASK_DEFINITION", outputs["task-definition"]), ("IMAGE", outputs["image"])));
        var started = await steps.RunAsync(WorkflowSteps.Script(EcsRelease, "release", "Record the deployment start"), Environment(("MODEL", outputs["model"]), ("IMAGE", outputs["image"]), ("ENVIRONMENT", "production"), ("RESTORES", outputs["restores"])));
        var registered = await Tool.RunAsync(steps.RealAws!, "ecs", "register-task-definition", "--cli-input-json", $"file://{Path.Combine(steps.RunnerTemp, "task-definition.json")}", "--generate-cli-skeleton", "output", "--region", "us-east-1");

        Assert.True(chosen.ExitCode == 0, chosen.Output);
        Assert.True(taken.ExitCode == 0, taken.Output);
        Assert.True(started.ExitCode == 0, started.Output);
        Assert.True(registered.ExitCode == 0, registered.Output);
        Assert.Equal(("detector@2", ImageOf('b'), "rollback"), (outputs["model"], outputs["image"], outputs["reason"]));
        Assert.Equal(target.Target.TaskDefinitionArn, outputs["task-definition"]);
        Assert.Equal(target.Target.Id.ToString(), outputs["restores"]);
        Assert.Contains($"aws ecs describe-task-definition --task-definition {target.Target.TaskDefinitionArn} --query taskDefinition --output json", steps.Calls);
        Assert.True(JsonNode.DeepEquals(recorded, JsonNode.Parse(File.ReadAllText(Path.Combine(steps.RunnerTemp, "task-definition.json")))));
        Assert.Contains(steps.Calls, c => c.StartsWith("inference registry deployment start --model detector@2 --environment production --target ecs", StringComparison.Ordinal) && c.EndsWith($" --restores {target.Target.Id}", StringComparison.Ordinal));
        Assert.Contains($"Passed over deployment {target.PassedOver[0].Deployment.Id} (detector@3): detector@3 was withdrawn from production.", File.ReadAllText(Path.Combine(steps.Directory, "github-step-summary")), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_recorded_task_definition_that_runs_another_image_stops_the_rollback()
    {
        using var steps = new WorkflowSteps();
        var (target, recorded) = RollbackTargetShown(image: ImageOf('b'));
        steps.Answer("task-definition-described.json", Described(recorded, ImageOf('c')).ToJsonString());

        var (exitCode, output) = await steps.RunAsync(WorkflowSteps.Script(EcsRelease, "release", "Take the task definition the rollback target ran"), Environment(("TASK_DEFINITION", target.Target.TaskDefinitionArn!), ("IMAGE", ImageOf('b'))));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("the registry and ECS disagree", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_release_takes_the_given_model_and_image_and_restores_nothing()
    {
        using var steps = new WorkflowSteps();

        var (exitCode, output) = await steps.RunAsync(WorkflowSteps.Script(EcsRelease, "release", "Choose what to release"), Environment(("ROLLBACK", "false"), ("REQUESTED", "detector@4"), ("IMAGE", ImageOf('d')), ("ENVIRONMENT", "staging")));
        var started = await steps.RunAsync(WorkflowSteps.Script(EcsRelease, "release", "Record the deployment start"), Environment(("MODEL", "detector@4"), ("IMAGE", ImageOf('d')), ("ENVIRONMENT", "staging"), ("RESTORES", string.Empty)));

        Assert.True(exitCode == 0, output);
        Assert.True(started.ExitCode == 0, started.Output);
        Assert.Equal(("detector@4", ImageOf('d'), "release"), (steps.Outputs["model"], steps.Outputs["image"], steps.Outputs["reason"]));
        Assert.DoesNotContain("restores", steps.Outputs.Keys);
        Assert.DoesNotContain(steps.Calls, c => c.Contains("rollback-target", StringComparison.Ordinal) || c.Contains("--restores", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_a_release_renders_todays_task_definition()
    {
        Assert.Equal("${{ !inputs.rollback }}", StepCondition(EcsRelease, "Render the task definition with the model pin"));
        Assert.Equal("${{ inputs.rollback }}", StepCondition(EcsRelease, "Take the task definition the rollback target ran"));
        Assert.Equal("true", (string)CloudFormation.Load(DeliveryFiles.Workflow("rollback.yml"))["jobs"]!["rollback"]!["with"]!["rollback"]!);
    }

    // --- 5. The release lock is held by the jobs that use the shared validator, and by nothing else -------------

    [Fact]
    public void Only_the_jobs_that_point_the_validator_hold_the_release_lock()
    {
        Assert.Empty(LockProblems(DeliveryFiles.Workflows));
    }

    [Theory]
    [InlineData("deploy-ecs.yml", "jobs:\n", "concurrency:\n  group: detector-releases\n  cancel-in-progress: false\n\njobs:\n", "deploy-ecs.yml holds a workflow-level lock")]
    [InlineData("deploy-lambda.yml", "    concurrency:\n      group: detector-releases\n      cancel-in-progress: false\n", "", "deploy-lambda.yml / release points the validator without the release lock")]
    [InlineData("deploy-ecs.yml", "    timeout-minutes: 45\n", "    timeout-minutes: 45\n    concurrency: detector-releases\n", "deploy-ecs.yml / image holds the release lock")]
    public void A_lock_held_too_long_or_not_at_all_is_caught(string workflow, string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.Workflow(workflow), t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        Assert.Contains(LockProblems([broken]), p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_readme_says_how_the_release_lock_queues()
    {
        var readme = File.ReadAllText(Path.Combine(DeliveryFiles.Root, "README.md"));

        Assert.DoesNotContain("never cancelled", readme, StringComparison.Ordinal);
        Assert.Contains("a newer one replaces it", readme, StringComparison.Ordinal);
    }

    // --- 7. The ECS deploy action is a current release, and every input a workflow gives is one it has -----------

    [Fact]
    public void Every_aws_action_is_a_known_current_release_given_only_its_own_inputs()
    {
        Assert.Empty(ActionProblems(DeliveryFiles.Workflows));
    }

    [Theory]
    [InlineData("amazon-ecs-deploy-task-definition@c465972ecbd160473f22e683363b422a5412a3de # v2.6.3", "amazon-ecs-deploy-task-definition@df9643053eda01f169e64a0e60233aacca83799a # v1.4.11", "runs on node16")]
    [InlineData("          wait-for-minutes: 60", "          wait-for-minute: 60", "has no input 'wait-for-minute'")]
    [InlineData("amazon-ecs-deploy-task-definition@c465972ecbd160473f22e683363b422a5412a3de # v2.6.3", "amazon-ecs-deploy-task-definition@c465972ecbd160473f22e683363b422a5412a3de # v2.6.2", "is v2.6.3, not v2.6.2")]
    public void An_old_action_or_a_misspelled_input_is_caught(string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(EcsRelease, t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        Assert.Contains(ActionProblems([broken]), p => p.Contains(expected, StringComparison.Ordinal));
    }

    // --- Checks, each returning sentences -------------------------------------------------------------------------

    /// <summary>The rendered appspec gives green exactly the environment's capacity provider and leaves only the task definition to the action.</summary>
    public static IReadOnlyList<string> AppSpecProblems(string appSpec, string capacityProvider)
    {
        var properties = CloudFormation.Load(appSpec)["Resources"]![0]!["TargetService"]!["Properties"]!;
        var problems = new List<string>();
        if (properties["CapacityProviderStrategy"] is not JsonArray strategy)
        {
            problems.Add("The appspec gives the green task set no CapacityProviderStrategy: CodeDeploy does not take the service's.");
        }
        else if (strategy.Count != 1 || (string?)strategy[0]!["CapacityProvider"] != capacityProvider || (string?)strategy[0]!["Base"] != "0" || (string?)strategy[0]!["Weight"] != "1")
        {
            problems.Add($"The appspec's CapacityProviderStrategy is {strategy.ToJsonString()}, not [{{CapacityProvider: {capacityProvider}, Base: 0, Weight: 1}}].");
        }

        if ((string?)properties["TaskDefinition"] != "<TASK_DEFINITION>")
        {
            problems.Add("The appspec's TaskDefinition must stay <TASK_DEFINITION> for the deploy action to fill.");
        }

        return problems;
    }

    /// <summary>
    /// Each job that assumes a role asks for a session at least as long as the job may run (its credentials never
    /// refresh), and no longer than the role allows (MaxSessionDuration in the template that creates it).
    /// </summary>
    public static IReadOnlyList<string> CredentialProblems(IEnumerable<string> workflows, IReadOnlyDictionary<string, int> maxSessions)
    {
        var problems = new List<string>();
        foreach (var workflow in workflows)
        {
            foreach (var (job, body) in CloudFormation.Load(workflow)["jobs"]!.AsObject())
            {
                var credentials = (body!["steps"]?.AsArray() ?? []).Where(s => ((string?)s!["uses"])?.StartsWith("aws-actions/configure-aws-credentials@", StringComparison.Ordinal) == true).Select(s => s!["with"]!).ToArray();
                foreach (var with in credentials)
                {
                    var name = $"{Path.GetFileName(workflow)} / {job}";
                    var role = Regex.Match((string)with["role-to-assume"]!, @"vars\.([A-Z_]+)").Groups[1].Value;
                    var duration = with["role-duration-seconds"] is { } seconds ? int.Parse((string)seconds!, System.Globalization.CultureInfo.InvariantCulture) : 3600;
                    if (body["timeout-minutes"] is not { } timeout)
                    {
                        problems.Add($"{name} has no timeout-minutes: it may run 360 minutes on credentials that last {duration} s.");
                    }
                    else if (Int(timeout) * 60 > duration)
                    {
                        problems.Add($"{name} asks {role} for {duration} s but may run {Int(timeout) * 60} s: its credentials would expire first.");
                    }

                    if (!maxSessions.TryGetValue(role, out var max))
                    {
                        problems.Add($"{name} assumes {role}, which no template creates.");
                    }
                    else if (duration > max)
                    {
                        problems.Add($"{name} asks for {duration} s, beyond the MaxSessionDuration of {role} ({max} s): STS would refuse.");
                    }
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// Each release job's timeout covers what it waits for plus 15 minutes for the steps around it: for ECS the deploy
    /// action's wait (wait-for-minutes plus the deployment group's ready and termination waits), for Lambda the aws CLI
    /// waiter (120 polls 15 s apart), and in both the outcome step's stop-and-wait.
    /// </summary>
    public static IReadOnlyList<string> WaitProblems(string ecsWorkflow, string lambdaWorkflow)
    {
        const int Around = 15;
        const int CliWaiterMinutes = 120 * 15 / 60;
        var outcome = File.ReadAllText(Path.Combine(DeliveryFiles.Root, "deploy", "scripts", "record-outcome.sh"));
        var stopMinutes = (int)Math.Ceiling(int.Parse(Regex.Match(outcome, @"stop_reads=(\d+)").Groups[1].Value) * int.Parse(Regex.Match(outcome, @"POLL_SECONDS:-(\d+)").Groups[1].Value) / 60.0);
        var group = Properties(CloudFormation.Load(DeliveryFiles.Infrastructure), "DeploymentGroup")["BlueGreenDeploymentConfiguration"]!;
        var groupWait = Int(group["DeploymentReadyOption"]!["WaitTimeInMinutes"]) + Int(group["TerminateBlueInstancesOnDeploymentSuccess"]!["TerminationWaitTimeInMinutes"]);
        var problems = new List<string>();

        var ecs = Parse(ecsWorkflow)["jobs"]!["release"]!;
        var deploy = ecs["steps"]!.AsArray().Single(s => ((string?)s!["uses"])?.StartsWith("aws-actions/amazon-ecs-deploy-task-definition@", StringComparison.Ordinal) == true)!;
        var ecsNeeds = Int(deploy["with"]!["wait-for-minutes"]) + groupWait + stopMinutes + Around;
        if (Int(ecs["timeout-minutes"]) < ecsNeeds)
        {
            problems.Add($"deploy-environment.yml: the release job's timeout ({Int(ecs["timeout-minutes"])} min) is shorter than its waits ({ecsNeeds} min).");
        }

        var lambda = Parse(lambdaWorkflow)["jobs"]!["release"]!;
        var lambdaNeeds = CliWaiterMinutes + stopMinutes + Around;
        if (Int(lambda["timeout-minutes"]) < lambdaNeeds)
        {
            problems.Add($"deploy-lambda.yml: the release job's timeout ({Int(lambda["timeout-minutes"])} min) is shorter than its waits ({lambdaNeeds} min).");
        }

        return problems;
    }

    /// <summary>The jobs that run in a GitHub environment (each asks for its own approval), following reusable workflows.</summary>
    public static IReadOnlyList<string> JobsInAnEnvironment(string workflow)
    {
        var jobs = new List<string>();
        foreach (var (job, body) in CloudFormation.Load(workflow)["jobs"]!.AsObject())
        {
            if ((string?)body!["uses"] is { } called && called.StartsWith("./", StringComparison.Ordinal))
            {
                jobs.AddRange(JobsInAnEnvironment(Path.Combine(DeliveryFiles.Root, called[2..])));
            }
            else if (body["environment"] is not null)
            {
                jobs.Add($"{Path.GetFileName(workflow)} / {job}");
            }
        }

        return jobs;
    }

    /// <summary>
    /// No workflow-level release lock (it would be held through builds and approvals); the jobs that point the shared validator
    /// hold detector-releases without cancelling, and no other job holds it.
    /// </summary>
    public static IReadOnlyList<string> LockProblems(IEnumerable<string> workflows)
    {
        var problems = new List<string>();
        foreach (var workflow in workflows)
        {
            var name = Path.GetFileName(workflow);
            var parsed = CloudFormation.Load(workflow);
            if (Group(parsed["concurrency"]) == "detector-releases")
            {
                problems.Add($"{name} holds a workflow-level lock: every job, the image build and the wait for an approval included, holds it.");
            }

            foreach (var (job, body) in parsed["jobs"]!.AsObject())
            {
                var pointsValidator = (body!["steps"]?.AsArray() ?? []).Any(s => (string?)s!["name"] == "Point the validator at this release");
                var concurrency = body["concurrency"];
                var holds = Group(concurrency) == "detector-releases";
                if (pointsValidator && (!holds || (string?)concurrency?["cancel-in-progress"] != "false"))
                {
                    problems.Add($"{name} / {job} points the validator without the release lock (detector-releases, cancel-in-progress: false).");
                }
                else if (!pointsValidator && holds)
                {
                    problems.Add($"{name} / {job} holds the release lock but does not use the validator.");
                }
            }
        }

        return problems;
    }

    private static string? Group(JsonNode? concurrency) => concurrency is JsonValue ? (string?)concurrency : (string?)concurrency?["group"];

    /// <summary>
    /// The AWS actions the workflows use, as their action.yml at the pinned commit declares them: the release, the
    /// runtime and the inputs. A pin not listed here, a runtime older than node20, or an input the release does not
    /// have is a problem.
    /// </summary>
    public static IReadOnlyList<string> ActionProblems(IEnumerable<string> workflows)
    {
        var problems = new List<string>();
        foreach (var workflow in workflows)
        {
            var lines = File.ReadAllLines(workflow);
            for (var i = 0; i < lines.Length; i++)
            {
                var match = UsesAwsAction().Match(lines[i]);
                if (!match.Success)
                {
                    continue;
                }

                var (repository, sha, version) = (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
                var where = $"{Path.GetFileName(workflow)}:{i + 1}";
                if (!KnownActions.TryGetValue($"{repository}@{sha}", out var known))
                {
                    problems.Add($"{where}: {repository}@{sha} is not a release this test knows; add its action.yml facts.");
                    continue;
                }

                if (known.Version != version)
                {
                    problems.Add($"{where}: {repository}@{sha} is {known.Version}, not {version}.");
                }

                if (known.Runtime is not ("node20" or "node24"))
                {
                    problems.Add($"{where}: {repository} {known.Version} runs on {known.Runtime}, which GitHub only runs by forcing a newer Node on it.");
                }

                var indent = lines[i].IndexOf("uses:", StringComparison.Ordinal) - (lines[i].TrimStart().StartsWith("- ", StringComparison.Ordinal) ? 0 : 2);
                foreach (var input in WithKeys(lines, i, indent).Where(k => !known.Inputs.Contains(k)))
                {
                    problems.Add($"{where}: {repository} {known.Version} has no input '{input}'.");
                }
            }
        }

        return problems;
    }

    // From each action's action.yml at the pinned commit (fetched from github.com/aws-actions).
    private static readonly Dictionary<string, (string Version, string Runtime, HashSet<string> Inputs)> KnownActions = new(StringComparer.Ordinal)
    {
        ["amazon-ecs-deploy-task-definition@c465972ecbd160473f22e683363b422a5412a3de"] = ("v2.6.3", "node24",
        [
            "task-definition", "desired-count", "service", "cluster", "wait-for-service-stability", "wait-for-minutes", "wait-max-delay-seconds",
            "codedeploy-appspec", "codedeploy-application", "codedeploy-deployment-group", "codedeploy-deployment-description",
            "codedeploy-deployment-config", "force-new-deployment", "service-managed-ebs-volume-name", "service-managed-ebs-volume", "run-task",
            "run-task-container-overrides", "run-task-security-groups", "run-task-subnets", "run-task-assign-public-IP",
            "run-task-capacity-provider-strategy", "run-task-launch-type", "run-task-started-by", "run-task-tags", "run-task-managed-ebs-volume-name",
            "run-task-managed-ebs-volume", "wait-for-task-stopped", "enable-ecs-managed-tags", "propagate-tags", "keep-null-value-keys", "max-retries",
        ]),
        ["amazon-ecs-deploy-task-definition@df9643053eda01f169e64a0e60233aacca83799a"] = ("v1.4.11", "node16",
        [
            "task-definition", "service", "cluster", "wait-for-service-stability", "wait-for-minutes", "codedeploy-appspec", "codedeploy-application",
            "codedeploy-deployment-group", "codedeploy-deployment-description", "force-new-deployment",
        ]),
        ["configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502"] = ("v4.0.2", "node20",
        [
            "aws-region", "role-to-assume", "aws-access-key-id", "aws-secret-access-key", "aws-session-token", "web-identity-token-file",
            "role-chaining", "audience", "http-proxy", "mask-aws-account-id", "role-duration-seconds", "role-external-id", "role-session-name",
            "role-skip-session-tagging", "inline-session-policy", "managed-session-policies", "output-credentials", "unset-current-credentials",
            "disable-retry", "retry-max-attempts", "special-characters-workaround",
        ]),
        ["amazon-ecr-login@062b18b96a7aff071d4dc91bc00c4c1a7945b076"] = ("v2.0.1", "node20", ["registries", "registry-type", "skip-logout", "mask-password", "http-proxy"]),
        ["aws-codebuild-run-build@4d15a47425739ac2296ba5e7eee3bdd4bfbdd767"] = ("v1.0.18", "node20",
        [
            "project-name", "buildspec-override", "compute-type-override", "environment-type-override", "image-override",
            "image-pull-credentials-type-override", "env-vars-for-codebuild", "update-interval", "update-back-off", "disable-source-override",
            "source-version-override", "source-type-override", "source-location-override", "hide-cloudwatch-logs", "disable-github-env-vars",
            "artifacts-type-override", "stop-on-signals",
        ]),
    };

    [GeneratedRegex(@"uses: aws-actions/([\w.-]+)@([0-9a-f]{40}) # (v[\d.]+)")]
    private static partial Regex UsesAwsAction();

    // The keys under this step's 'with:' block, read from the lines below 'uses:' at the step's indentation.
    private static IEnumerable<string> WithKeys(string[] lines, int usesLine, int stepIndent)
    {
        var start = Array.FindIndex(lines, usesLine, l => l.Length > 0 && l.TrimStart().StartsWith("- ", StringComparison.Ordinal) && l.IndexOf('-', StringComparison.Ordinal) <= stepIndent && l != lines[usesLine]);
        var end = start < 0 ? lines.Length : start;
        var begin = Array.FindLastIndex(lines, usesLine, l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal));
        var with = Array.FindIndex(lines, begin, end - begin, l => l.Trim() == "with:");
        if (with < 0)
        {
            yield break;
        }

        var keyIndent = lines[with].IndexOf("with:", StringComparison.Ordinal) + 2;
        for (var i = with + 1; i < end && (lines[i].Length == 0 || lines[i].Length - lines[i].TrimStart().Length >= keyIndent); i++)
        {
            if (lines[i].Length - lines[i].TrimStart().Length == keyIndent && lines[i].Contains(':', StringComparison.Ordinal))
            {
                yield return lines[i].Trim()[..lines[i].Trim().IndexOf(':', StringComparison.Ordinal)];
            }
        }
    }

    // --- Running steps ------------------------------------------------------------------------------------------

    private static Task<(int ExitCode, string Output)> RunImageStepAsync(WorkflowSteps steps, string workflow)
    {
        var step = workflow == "deploy-ecs.yml" ? "Build and push the GPU image, tagged with the commit" : "Build and push the Lambda image, tagged with the commit";
        return steps.RunAsync(WorkflowSteps.Script(DeliveryFiles.Workflow(workflow), "image", step), new Dictionary<string, string> { ["REGISTRY"] = Registry });
    }

    private static Task<(int ExitCode, string Output)> RunOutcomeStepAsync(WorkflowSteps steps, string workflow, string codeDeployId) =>
        steps.RunAsync(WorkflowSteps.Script(workflow, "release", "Record the outcome"), OutcomeEnvironment(workflow, codeDeployId));

    // The step's own variables, as GitHub would set them, and no sleeping between CodeDeploy reads.
    private static Dictionary<string, string> OutcomeEnvironment(string workflow, string codeDeployId)
    {
        var environment = Environment(
            ("ID", RecordId),
            ("CODEDEPLOY_ID", codeDeployId),
            ("RUN_URL", "https://github.com/acme/detector/actions/runs/42"),
            ("POLL_SECONDS", "0"));
        environment["REASON"] = StepEnvironment(workflow, "release", "Record the outcome")["REASON"] is var reason && reason.StartsWith("${{", StringComparison.Ordinal) ? "release" : reason;
        if (workflow == EcsRelease)
        {
            environment["TASK_DEFINITION_ARN"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/detector:7";
        }

        return environment;
    }

    private static Dictionary<string, string> Environment(params (string Name, string Value)[] values)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["AWS_REGION"] = "us-east-1", ["VALIDATOR_FUNCTION"] = "detector-deploy-validator" };
        foreach (var (name, value) in values)
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>A rollback target as the registry returns it: v2's release is the target, v3's (withdrawn) was passed over.</summary>
    private static (RollbackTarget Target, JsonNode RecordedDefinition) RollbackTargetShown(string image)
    {
        var model = Model(2, ModelStatus.Staging);
        var recorded = TaskDefinitionRenderer.Render(
            JsonNode.Parse(File.ReadAllText(DeliveryFiles.TaskDefinition))!,
            "detector",
            image,
            model.Artifact.Environment,
            new Dictionary<string, string>
            {
                ["EXECUTION_ROLE_ARN"] = "arn:aws:iam::123456789012:role/execution",
                ["TASK_ROLE_ARN"] = "arn:aws:iam::123456789012:role/task",
                ["AWS_REGION"] = "us-east-1",
                ["LOG_GROUP"] = "/ecs/detector-production",
                ["ENVIRONMENT"] = "production",
            });
        var target = Deployment(model, image, "arn:aws:ecs:us-east-1:123456789012:task-definition/detector:12");
        var passed = Deployment(Model(3, ModelStatus.Withdrawn), ImageOf('c'), "arn:aws:ecs:us-east-1:123456789012:task-definition/detector:13");
        var current = Deployment(Model(4, ModelStatus.Production), ImageOf('d'), "arn:aws:ecs:us-east-1:123456789012:task-definition/detector:14");
        return (new RollbackTarget(current, Model(4, ModelStatus.Production), target, model, [new PassedOver(passed, "detector@3 was withdrawn from production")]), recorded);
    }

    // What describe-task-definition returns for a registered definition: the definition plus the fields ECS sets.
    private static JsonNode Described(JsonNode definition, string image)
    {
        var described = definition.DeepClone();
        described["containerDefinitions"]![0]!["image"] = image;
        described["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/detector:12";
        described["revision"] = 12;
        described["status"] = "ACTIVE";
        described["requiresAttributes"] = new JsonArray(new JsonObject { ["name"] = "com.amazonaws.ecs.capability.task-iam-role" });
        described["compatibilities"] = new JsonArray("EC2");
        described["registeredAt"] = "2026-11-01T10:00:00.000000+00:00";
        described["registeredBy"] = "arn:aws:sts::123456789012:assumed-role/detector-production-github-deploy/GitHubActions";
        return described;
    }

    private static DeploymentDocument Deployment(ModelDocument model, string image, string taskDefinition) => new()
    {
        Id = ObjectId.GenerateNewId(),
        ModelName = model.Name,
        ModelVersion = model.Version,
        ModelId = model.Id,
        Environment = DeploymentEnvironment.Production,
        Target = DeploymentTarget.Ecs,
        Strategy = DeploymentStrategy.BlueGreen,
        Image = image,
        TaskDefinitionArn = taskDefinition,
        Status = DeploymentStatus.Succeeded,
        Actor = "deployer",
    };

    private static ModelDocument Model(int version, ModelStatus status) => new()
    {
        Id = ObjectId.GenerateNewId(),
        Name = "detector",
        Version = version,
        Dataset = new DatasetReference("shapes", 1, ObjectId.GenerateNewId()),
        Artifact = new ModelArtifact
        {
            Weights = new PinnedFile($"s3://detector-models/models/detector/{version}/model.onnx", $"weights-{version}", new string('a', 64), 1234),
            Manifest = new PinnedFile($"s3://detector-models/models/detector/{version}/manifest.json", $"manifest-{version}"),
            Format = "yolox",
        },
        Status = status,
        CreatedBy = "test",
    };

    private static string ImageOf(char digit) => $"{Registry}/detector@sha256:{new string(digit, 64)}";

    // --- Small readers ------------------------------------------------------------------------------------------

    /// <summary>Each GitHub role variable, with the MaxSessionDuration of the role its template creates.</summary>
    private static Dictionary<string, int> Roles(string? root = null)
    {
        root ??= DeliveryFiles.Root;
        int Max(string template, string role) => Int(Properties(CloudFormation.Load(Path.Combine(root, template)), role)["MaxSessionDuration"]);
        return new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["AWS_BUILD_ROLE_ARN"] = Max("deploy/shared.yaml", "BuildRole"),
            ["AWS_DEPLOY_ROLE_ARN"] = Max("deploy/infrastructure.yaml", "DeployRole"),
            ["LAMBDA_DEPLOY_ROLE_ARN"] = Max("deploy/lambda/template.yaml", "DeployRole"),
            ["PREPROCESS_DEPLOY_ROLE_ARN"] = Max("deploy/lambda/preprocess.yaml", "DeployRole"),
            ["SAGEMAKER_DEPLOY_ROLE_ARN"] = Max("deploy/sagemaker/endpoint.yaml", "DeployRole"),
            ["TRAINING_ROLE_ARN"] = Max("deploy/training/training.yaml", "GitHubTrainingRole"),
            ["GPU_TESTS_ROLE_ARN"] = Max("deploy/ci/gpu-tests.yaml", "GitHubRole"),
        };
    }

    private static JsonNode DeployStep() =>
        CloudFormation.Load(EcsRelease)["jobs"]!["release"]!["steps"]!.AsArray().Single(s => (string?)s!["name"] == "Blue/green release through CodeDeploy")!;

    private static string? StepCondition(string workflow, string step) =>
        (string?)CloudFormation.Load(workflow)["jobs"]!["release"]!["steps"]!.AsArray().Single(s => (string?)s!["name"] == step)!["if"];

    private static Dictionary<string, string> StepEnvironment(string workflow, string job, string step) =>
        CloudFormation.Load(workflow)["jobs"]![job]!["steps"]!.AsArray().Single(s => (string?)s!["name"] == step)!["env"]!.AsObject()
            .ToDictionary(e => e.Key, e => (string)e.Value!, StringComparer.Ordinal);

    private static JsonObject Properties(JsonObject template, string resource) => template["Resources"]![resource]!["Properties"]!.AsObject();

    // A workflow given as text, parsed as the loader parses files.
    private static JsonObject Parse(string workflow)
    {
        var path = Path.Combine(Path.GetTempPath(), $"workflow-{Guid.NewGuid():N}.yml");
        File.WriteAllText(path, workflow);
        try
        {
            return CloudFormation.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // YAML scalars arrive as strings.
    private static int Int(JsonNode? node) => int.Parse(node!.ToString(), System.Globalization.CultureInfo.InvariantCulture);
}
