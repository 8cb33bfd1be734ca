using System.Diagnostics;
using System.Text.Json.Nodes;
using Inference.Delivery.Tests.Support;

namespace Inference.Delivery.Tests;

/// <summary>
/// Optional AWS training (deploy/training, train.yml), checked offline: the job request the start step sends passes
/// the aws CLI's parameter check and carries the dataset version; only a completed detector-train-* job's export is
/// unpacked, safely; the register step records the job's ARN, image digest, hyperparameters, final metrics and
/// dataset version; and EventBridge's rule resumes exactly this workflow for exactly these jobs.
/// </summary>
public sealed class TrainingDeliveryTests : IDisposable
{
    private const string TrainingImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/detector-training@sha256:3333333333333333333333333333333333333333333333333333333333333333";

    private readonly string _directory = Directory.CreateTempSubdirectory("training-").FullName;
    private readonly JsonObject _template = CloudFormation.Load(DeliveryFiles.TrainingTemplate);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Workflow => DeliveryFiles.Workflow("train.yml");

    // --- Starting a job ------------------------------------------------------------------------------------------

    [SkippableFact]
    public async Task The_job_request_passes_the_aws_cli_check_and_trains_on_the_dataset_version_it_names()
    {
        using var steps = new WorkflowSteps { RealAws = Tool.Aws() };

        var (exitCode, output) = await StartAsync(steps, StartEnvironment());

        Assert.True(exitCode == 0, output);
        var job = steps.Sent("sagemaker", "create-training-job")!;
        Assert.Equal("detector-train-detector-42-1", (string)job["TrainingJobName"]!);
        Assert.Equal(TrainingImage, (string)job["AlgorithmSpecification"]!["TrainingImage"]!);
        Assert.Equal("s3://detector-models/datasets/shapes/3/", (string)job["InputDataConfig"]![0]!["DataSource"]!["S3DataSource"]!["S3Uri"]!);
        Assert.Equal("s3://detector-models/training/detector/shapes@3/", (string)job["OutputDataConfig"]!["S3OutputPath"]!);
        Assert.Equal(("shapes", "3", "detector", "sagemaker"), ((string)job["Environment"]!["DATASET_NAME"]!, (string)job["Environment"]!["DATASET_VERSION"]!, (string)job["Environment"]!["MODEL_NAME"]!, (string)job["Environment"]!["RELEASE_TO"]!));
        Assert.Equal(("50", "0.01"), ((string)job["HyperParameters"]!["epochs"]!, (string)job["HyperParameters"]!["lr0"]!));
        Assert.Equal(["job-name=detector-train-detector-42-1"], File.ReadAllLines(Path.Combine(steps.Directory, "github-output")));
    }

    [SkippableFact]
    public async Task A_request_the_aws_cli_refuses_is_caught()
    {
        using var steps = new WorkflowSteps { RealAws = Tool.Aws() };
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.TrainingJob, t => t.Replace("\"VolumeSizeInGB\"", "\"VolumeSizeInGb\"", StringComparison.Ordinal), _directory);
        var script = File.ReadAllText(DeliveryFiles.Script("start-training-job.sh")).Replace("deploy/training/training-job.json", broken, StringComparison.Ordinal);
        var copy = Path.Combine(_directory, "start-training-job.sh");
        await File.WriteAllTextAsync(copy, script);

        var (exitCode, output) = await steps.RunAsync($"bash {copy}", StartEnvironment());

        Assert.NotEqual(0, exitCode);
        Assert.Contains("VolumeSizeInGb", output, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("TRAINING_IMAGE", "detector-training:latest", "repository@sha256")]
    [InlineData("DATASET_VERSION", "latest", "whole number")]
    [InlineData("HYPERPARAMETERS", "[1, 2]", "JSON object")]
    [InlineData("RELEASE_TO", "lambda", "none, ecs or sagemaker")]
    public async Task A_bad_input_starts_nothing(string name, string value, string expected)
    {
        using var steps = new WorkflowSteps();
        var environment = StartEnvironment();
        environment[name] = value;

        var (exitCode, output) = await StartAsync(steps, environment);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain(steps.Calls, c => c.StartsWith("aws sagemaker", StringComparison.Ordinal));
    }

    [Fact]
    public void The_training_role_may_start_exactly_the_jobs_the_workflow_names_and_pass_them_the_job_role()
    {
        var role = Properties("GitHubTrainingRole");
        var statements = CloudFormationTests.Statements(role).ToArray();
        var jobs = statements.Single(s => CloudFormationTests.Actions(s).Contains("sagemaker:CreateTrainingJob"));
        var pass = statements.Single(s => CloudFormationTests.Actions(s).Contains("iam:PassRole"));
        var script = File.ReadAllText(DeliveryFiles.Script("start-training-job.sh"));

        Assert.EndsWith(":training-job/detector-train-*", (string)jobs["Resource"]!["Fn::Sub"]!, StringComparison.Ordinal);
        Assert.Contains("job=\"detector-train-", script, StringComparison.Ordinal);
        Assert.Equal(["TrainingExecutionRole"], CloudFormation.ReferencedNames(pass["Resource"]));
        Assert.Equal("sagemaker.amazonaws.com", (string)pass["Condition"]!["StringEquals"]!["iam:PassedToService"]!);
        Assert.Equal("repo:${GitHubRepository}:ref:refs/heads/main", (string)role["AssumeRolePolicyDocument"]!["Statement"]![0]!["Condition"]!["StringEquals"]!["token.actions.githubusercontent.com:sub"]!["Fn::Sub"]!);
        Assert.DoesNotContain(statements.SelectMany(CloudFormationTests.Actions), a => a is "s3:PutObject" or "ecr:PutImage");
    }

    [Fact]
    public void A_job_reads_dataset_versions_and_writes_only_under_training()
    {
        var statements = CloudFormationTests.Statements(Properties("TrainingExecutionRole")).ToArray();

        Assert.Equal(["${ModelsBucketArn}/training/*"], statements.Where(s => CloudFormationTests.Actions(s).Contains("s3:PutObject")).Select(s => (string)s["Resource"]!["Fn::Sub"]![0]!));
        Assert.Equal(["${ModelsBucketArn}/datasets/*"], statements.Where(s => CloudFormationTests.Actions(s).Contains("s3:GetObject")).Select(s => (string)s["Resource"]!["Fn::Sub"]![0]!));
    }

    // --- Resuming and registering ---------------------------------------------------------------------------------

    [Fact]
    public void Eventbridge_resumes_this_workflow_for_the_jobs_it_starts()
    {
        Assert.Empty(DispatchProblems(_template, CloudFormation.Load(Workflow)));
    }

    [Fact]
    public void A_dispatch_the_workflow_does_not_listen_for_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(Workflow, t => t.Replace("types: [sagemaker-training-job]", "types: [training-finished]", StringComparison.Ordinal), _directory);

        Assert.Contains(DispatchProblems(_template, CloudFormation.Load(broken)), p => p.Contains("sagemaker-training-job", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_completed_jobs_export_is_unpacked_to_its_model_and_manifest()
    {
        using var steps = new WorkflowSteps();
        steps.Answer("training-job.json", Job("Completed").ToJsonString());
        await ArchiveAsync(steps, ("model.onnx", "onnx bytes"), ("manifest.json", "{}"), ("checkpoints/last.pt", "ignored"));

        var (exitCode, output) = await ReadJobAsync(steps, "detector-train-detector-42-1");

        Assert.True(exitCode == 0, output);
        var export = Path.Combine(steps.RunnerTemp, "export");
        Assert.Equal(["manifest.json", "model.onnx"], Directory.GetFiles(export).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([$"export={export}", "release-to=sagemaker"], File.ReadAllLines(Path.Combine(steps.Directory, "github-output")));
    }

    [SkippableTheory]
    [InlineData("Failed", "detector-train-detector-42-1", "is Failed, not Completed")]
    [InlineData("Completed", "somebody-elses-job", "not a training job this workflow starts")]
    public async Task Only_a_completed_job_of_this_workflow_is_taken(string status, string job, string expected)
    {
        using var steps = new WorkflowSteps();
        steps.Answer("training-job.json", Job(status).ToJsonString());
        await ArchiveAsync(steps, ("model.onnx", "onnx bytes"));

        var (exitCode, output) = await ReadJobAsync(steps, job);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(steps.RunnerTemp, "export")) && Directory.GetFiles(Path.Combine(steps.RunnerTemp, "export")).Length > 0);
    }

    [SkippableFact]
    public async Task An_export_without_a_model_or_with_paths_out_of_its_folder_is_refused()
    {
        using var steps = new WorkflowSteps();
        steps.Answer("training-job.json", Job("Completed").ToJsonString());
        await ArchiveAsync(steps, ("../model.onnx", "escapes"), ("weights/model.onnx", "too deep"));

        var (exitCode, output) = await ReadJobAsync(steps, "detector-train-detector-42-1");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("has no model.onnx at its top", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(steps.RunnerTemp, "model.onnx")));
    }

    [SkippableTheory]
    [InlineData("sagemaker", "package-sagemaker")]
    [InlineData("ecs", "push")]
    public async Task Registering_records_the_jobs_arn_image_hyperparameters_metrics_and_dataset_version(string releaseTo, string verb)
    {
        using var steps = new WorkflowSteps();
        var export = Directory.CreateDirectory(Path.Combine(steps.RunnerTemp, "export")).FullName;
        await File.WriteAllTextAsync(Path.Combine(export, "model.onnx"), "onnx bytes");
        await File.WriteAllTextAsync(Path.Combine(steps.RunnerTemp, "job.json"), Job("Completed").ToJsonString());
        steps.Answer("models.json", """[{"name": "detector", "version": 4}, {"name": "detector", "version": 6}]""");
        steps.Answer("pin.json", "{}");
        steps.Answer("registered.json", """{"name": "detector", "version": 7}""");

        var (exitCode, output) = await steps.RunAsync(WorkflowSteps.Script(Workflow, "register", "Push, pin and register the model with its training metadata"), new Dictionary<string, string>
        {
            ["EXPORT"] = export,
            ["RELEASE_TO"] = releaseTo,
            ["MODELS_BUCKET"] = "detector-models",
        });

        Assert.True(exitCode == 0, output);
        Assert.Equal(["model=detector@7"], File.ReadAllLines(Path.Combine(steps.Directory, "github-output")));
        Assert.Contains(steps.Calls, c => c == $"inference model init {export}/model.onnx --name detector --version 7 --output {export}/manifest.json");
        Assert.Contains(steps.Calls, c => c.StartsWith($"inference model {verb} --weights {export}/model.onnx --manifest {export}/manifest.json --bucket detector-models --name detector --version 7 --json", StringComparison.Ordinal));
        var register = Assert.Single(steps.Calls, c => c.StartsWith("inference registry model register", StringComparison.Ordinal));
        foreach (var expected in new[]
        {
            "--dataset shapes@3", "--training-source sagemaker",
            "--job-arn arn:aws:sagemaker:us-east-1:123456789012:training-job/detector-train-detector-42-1", "--job-id detector-train-detector-42-1",
            $"--training-image {TrainingImage}", "--training-started 2026-12-01T12:00:00.000000+00:00", "--training-finished 2026-12-01T13:30:00.000000+00:00",
            "--hyperparameter epochs=50", "--hyperparameter lr0=0.01", "--map50 0.91", "--map50-95 0.62", "--precision 0.88", "--recall 0.8", "--epochs 50",
        })
        {
            Assert.Contains(expected, register, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("sagemaker_region", register, StringComparison.Ordinal);
    }

    [Fact]
    public void The_register_job_runs_after_a_wait_or_a_dispatch_and_hands_over_to_the_release_path()
    {
        var register = CloudFormation.Load(Workflow)["jobs"]!["register"]!;
        var hand = WorkflowSteps.Script(Workflow, "register", "Hand over to the release path");

        Assert.Equal("always() && (github.event_name == 'repository_dispatch' || needs.wait.result == 'success')", (string)register["if"]!);
        Assert.Equal("${{ github.event.client_payload.job_name || needs.start.outputs.job-name }}", (string)register["env"]!["JOB_NAME"]!);
        Assert.Contains("gh workflow run deploy-ecs.yml --ref main -f \"model=$MODEL\"", hand, StringComparison.Ordinal);
        Assert.Contains("gh workflow run deploy-sagemaker.yml --ref main -f environment=staging -f \"model=$MODEL\" -f mode=release", hand, StringComparison.Ordinal);
        Assert.True(File.Exists(DeliveryFiles.Workflow("deploy-ecs.yml")) && File.Exists(DeliveryFiles.Workflow("deploy-sagemaker.yml")));
    }

    // --- Checks and helpers ---------------------------------------------------------------------------------------

    /// <summary>
    /// The rule matches the jobs the start script names (detector-train-*) ending in any state, and posts to this
    /// repository's dispatches endpoint an event whose type train.yml listens for, with the job's name where the register
    /// job reads it.
    /// </summary>
    public static IReadOnlyList<string> DispatchProblems(JsonObject template, JsonObject workflow)
    {
        var problems = new List<string>();
        var rule = template["Resources"]!["TrainingJobEnded"]!["Properties"]!;
        var pattern = rule["EventPattern"]!;
        if ((string?)pattern["detail"]!["TrainingJobName"]![0]!["prefix"] != "detector-train-")
        {
            problems.Add("The rule does not match the detector-train-* jobs the start step names.");
        }

        var states = pattern["detail"]!["TrainingJobStatus"]!.AsArray().Select(s => (string)s!).ToHashSet(StringComparer.Ordinal);
        if (!states.SetEquals(["Completed", "Failed", "Stopped"]))
        {
            problems.Add($"The rule matches {string.Join(", ", states)}, not every end (Completed, Failed, Stopped).");
        }

        var target = rule["Targets"]![0]!;
        var body = JsonNode.Parse(((string)target["InputTransformer"]!["InputTemplate"]!).Replace("<job>", "\"j\"", StringComparison.Ordinal).Replace("<status>", "\"s\"", StringComparison.Ordinal))!;
        var types = workflow["on"]!["repository_dispatch"]!["types"]!.AsArray().Select(t => (string)t!).ToArray();
        if (!types.Contains((string)body["event_type"]!))
        {
            problems.Add($"The rule sends event_type '{(string)body["event_type"]!}', but train.yml listens for {string.Join(", ", types)}.");
        }

        if ((string?)body["client_payload"]?["job_name"] != "j" || !((string)workflow["jobs"]!["register"]!["env"]!["JOB_NAME"]!).Contains("github.event.client_payload.job_name", StringComparison.Ordinal))
        {
            problems.Add("The job's name does not travel in client_payload.job_name to the register job.");
        }

        var endpoint = (string)template["Resources"]!["GitHubDispatch"]!["Properties"]!["InvocationEndpoint"]!["Fn::Sub"]!;
        if (endpoint != "https://api.github.com/repos/${GitHubRepository}/dispatches")
        {
            problems.Add($"The API destination calls {endpoint}, not the repository's dispatches endpoint.");
        }

        return problems;
    }

    private JsonObject Properties(string resource) => _template["Resources"]![resource]!["Properties"]!.AsObject();

    private static Dictionary<string, string> StartEnvironment() => new(StringComparer.Ordinal)
    {
        ["MODEL_NAME"] = "detector",
        ["DATASET"] = "shapes",
        ["DATASET_VERSION"] = "3",
        ["TRAINING_IMAGE"] = TrainingImage,
        ["INSTANCE_TYPE"] = "ml.g5.xlarge",
        ["HYPERPARAMETERS"] = """{"epochs": 50, "lr0": 0.01}""",
        ["RELEASE_TO"] = "sagemaker",
        ["EXECUTION_ROLE_ARN"] = "arn:aws:iam::123456789012:role/detector-training-job",
        ["MODELS_BUCKET"] = "detector-models",
        ["GITHUB_RUN_ID"] = "42",
        ["GITHUB_RUN_ATTEMPT"] = "1",
    };

    private static Task<(int ExitCode, string Output)> StartAsync(WorkflowSteps steps, Dictionary<string, string> environment) =>
        steps.RunAsync(WorkflowSteps.Script(Workflow, "start", "Start the training job"), environment);

    private static Task<(int ExitCode, string Output)> ReadJobAsync(WorkflowSteps steps, string job) =>
        steps.RunAsync(WorkflowSteps.Script(Workflow, "register", "Read the finished job and its export"), new Dictionary<string, string> { ["JOB_NAME"] = job });

    /// <summary>DescribeTrainingJob's answer for a job train.yml started.</summary>
    private static JsonObject Job(string status) => new()
    {
        ["TrainingJobName"] = "detector-train-detector-42-1",
        ["TrainingJobArn"] = "arn:aws:sagemaker:us-east-1:123456789012:training-job/detector-train-detector-42-1",
        ["TrainingJobStatus"] = status,
        ["FailureReason"] = status == "Failed" ? "AlgorithmError: out of memory" : null,
        ["ModelArtifacts"] = new JsonObject { ["S3ModelArtifacts"] = "s3://detector-models/training/detector/shapes@3/detector-train-detector-42-1/output/model.tar.gz" },
        ["AlgorithmSpecification"] = new JsonObject { ["TrainingImage"] = TrainingImage, ["TrainingInputMode"] = "File" },
        ["HyperParameters"] = new JsonObject { ["epochs"] = "50", ["lr0"] = "0.01", ["sagemaker_region"] = "\"us-east-1\"" },
        ["FinalMetricDataList"] = new JsonArray(
            new JsonObject { ["MetricName"] = "map50", ["Value"] = 0.91, ["Timestamp"] = "2026-12-01T13:29:00+00:00" },
            new JsonObject { ["MetricName"] = "map50-95", ["Value"] = 0.62, ["Timestamp"] = "2026-12-01T13:29:00+00:00" },
            new JsonObject { ["MetricName"] = "precision", ["Value"] = 0.88, ["Timestamp"] = "2026-12-01T13:29:00+00:00" },
            new JsonObject { ["MetricName"] = "recall", ["Value"] = 0.8, ["Timestamp"] = "2026-12-01T13:29:00+00:00" }),
        ["TrainingStartTime"] = "2026-12-01T12:00:00.000000+00:00",
        ["TrainingEndTime"] = "2026-12-01T13:30:00.000000+00:00",
        ["Environment"] = new JsonObject { ["MODEL_NAME"] = "detector", ["DATASET_NAME"] = "shapes", ["DATASET_VERSION"] = "3", ["RELEASE_TO"] = "sagemaker" },
    };

    /// <summary>What SageMaker writes to OutputPath/JOB/output/model.tar.gz: /opt/ml/model as a tarball (GNU tar here).</summary>
    private static async Task ArchiveAsync(WorkflowSteps steps, params (string Name, string Content)[] files)
    {
        var root = Directory.CreateDirectory(Path.Combine(steps.Directory, "archive", "deep")).FullName;
        foreach (var (name, content) in files)
        {
            var path = Path.GetFullPath(Path.Combine(root, name));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, content);
        }

        // -P keeps '../' members as written: the archive a hostile image could produce.
        var start = new ProcessStartInfo("tar", ["-czPf", Path.Combine(steps.Directory, "export.tar.gz"), "-C", root, .. files.Select(f => f.Name)]) { UseShellExecute = false, RedirectStandardError = true };
        using var tar = Process.Start(start)!;
        await tar.WaitForExitAsync();
        Assert.True(tar.ExitCode == 0, await tar.StandardError.ReadToEndAsync());
    }
}
