using System.Text.Json.Nodes;
using Inference.Cli.Deploy;
using Inference.Delivery.Tests.Support;

namespace Inference.Delivery.Tests;

/// <summary>The Dockerfiles and the ECS task definition, checked offline with the tools that exist here.</summary>
public sealed class ContainerAndTaskTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("container-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableTheory]
    [InlineData("Dockerfile.gpu")]
    [InlineData("Dockerfile")]
    public async Task The_dockerfiles_pass_dockerfilelint(string file)
    {
        var lint = Tool.NodeModule(".bin/dockerfilelint");

        var (exitCode, output) = await Tool.RunAsync(lint, Path.Combine(DeliveryFiles.Root, file));

        Assert.True(exitCode == 0, output);
    }

    [SkippableFact]
    public async Task A_broken_dockerfile_is_caught()
    {
        var lint = Tool.NodeModule(".bin/dockerfilelint");
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.GpuDockerfile, t => t.Replace("EXPOSE 8080", "EXPOSE port-8080", StringComparison.Ordinal), _directory);

        var (exitCode, _) = await Tool.RunAsync(lint, broken);

        Assert.NotEqual(0, exitCode);
    }

    [Theory]
    [InlineData("Dockerfile.gpu")]
    [InlineData("Dockerfile")]
    public void The_images_run_as_non_root_with_an_exec_entrypoint_and_a_self_contained_health_check(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(DeliveryFiles.Root, file));

        Assert.Contains(lines, l => l.StartsWith("USER ", StringComparison.Ordinal) && !l.Contains("root", StringComparison.Ordinal));
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/Inference.Api.dll\"]", lines);
        Assert.Contains(lines, l => l.Contains("/dev/tcp/127.0.0.1/8080", StringComparison.Ordinal) && l.Contains("/health/live", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => !l.TrimStart().StartsWith('#') && (l.Contains("curl", StringComparison.Ordinal) || l.Contains("wget", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("/var/cache/inference", StringComparison.Ordinal));
    }

    [Fact]
    public void The_gpu_image_is_cuda_13_with_cudnn_9_on_ubuntu_24_04_and_builds_the_gpu_flavour()
    {
        var text = File.ReadAllText(DeliveryFiles.GpuDockerfile);

        Assert.Contains("FROM nvidia/cuda:13.", text, StringComparison.Ordinal);
        Assert.Contains("-cudnn-runtime-ubuntu24.04", text, StringComparison.Ordinal);
        Assert.Contains("-p:OnnxRuntimeFlavor=Gpu", text, StringComparison.Ordinal);
        Assert.Contains("mcr.microsoft.com/dotnet/sdk:10.0", text, StringComparison.Ordinal);
        Assert.Contains("mcr.microsoft.com/dotnet/aspnet:10.0", text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_task_definition_template_passes_the_aws_cli_skeleton_check()
    {
        Assert.Equal(0, (await SkeletonCheckAsync(DeliveryFiles.TaskDefinition)).ExitCode);
    }

    [SkippableFact]
    public async Task The_rendered_task_definition_passes_the_aws_cli_skeleton_check_with_no_placeholder_left()
    {
        var rendered = TaskDefinitionRenderer.Render(
            JsonNode.Parse(File.ReadAllText(DeliveryFiles.TaskDefinition))!,
            "detector",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/detector@sha256:" + new string('a', 64),
            new Dictionary<string, string>
            {
                ["Model__Uri"] = "s3://models/detector/model.onnx",
                ["Model__VersionId"] = "v1",
                ["Model__Sha256"] = new string('b', 64),
                ["Model__Manifest"] = "s3://models/detector/manifest.json",
                ["Model__ManifestVersionId"] = "v1",
            },
            new Dictionary<string, string>
            {
                ["EXECUTION_ROLE_ARN"] = "arn:aws:iam::123456789012:role/exec",
                ["TASK_ROLE_ARN"] = "arn:aws:iam::123456789012:role/task",
                ["AWS_REGION"] = "us-east-1",
                ["LOG_GROUP"] = "/ecs/detector-staging",
                ["ENVIRONMENT"] = "staging",
            });
        var path = Path.Combine(_directory, "rendered.json");
        await File.WriteAllTextAsync(path, rendered.ToJsonString());

        var (exitCode, output) = await SkeletonCheckAsync(path);

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("<", rendered.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Rendering_refuses_to_leave_a_placeholder_behind()
    {
        var failure = Assert.Throws<InvalidDataException>(() =>
            TaskDefinitionRenderer.Render(JsonNode.Parse(File.ReadAllText(DeliveryFiles.TaskDefinition))!, "detector", "detector@sha256:" + new string('a', 64), new Dictionary<string, string>()));

        Assert.Contains("<EXECUTION_ROLE_ARN>", failure.Message, StringComparison.Ordinal);
        Assert.Contains("<MODEL_URI>", failure.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_unknown_task_definition_key_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.TaskDefinition, t => t.Replace("\"stopTimeout\"", "\"stopTimout\"", StringComparison.Ordinal), _directory);

        var (exitCode, output) = await SkeletonCheckAsync(broken);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("stopTimout", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_detector_container_asks_for_a_gpu_logs_to_cloudwatch_and_has_generous_limits()
    {
        var container = TaskDefinitionFacts.Detector();

        Assert.Equal("GPU", (string)container["resourceRequirements"]![0]!["type"]!);
        Assert.Equal("1", (string)container["resourceRequirements"]![0]!["value"]!);
        Assert.True((int)container["memoryReservation"]! >= 4096);
        Assert.Equal("awslogs", (string)container["logConfiguration"]!["logDriver"]!);
        Assert.Equal("nofile", (string)container["ulimits"]![0]!["name"]!);
        var task = JsonNode.Parse(File.ReadAllText(DeliveryFiles.TaskDefinition))!;
        Assert.Equal("awsvpc", (string)task["networkMode"]!);
        Assert.Equal(["EC2"], task["requiresCompatibilities"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("<EXECUTION_ROLE_ARN>", (string)task["executionRoleArn"]!);
        Assert.Equal("<TASK_ROLE_ARN>", (string)task["taskRoleArn"]!);
    }

    private static async Task<(int ExitCode, string Output)> SkeletonCheckAsync(string path) =>
        await Tool.RunAsync(Tool.Aws(), "ecs", "register-task-definition", "--cli-input-json", $"file://{path}", "--generate-cli-skeleton", "output", "--region", "us-east-1");
}

/// <summary>Reads the facts the consistency checks compare out of task-definition.json.</summary>
public static class TaskDefinitionFacts
{
    public static JsonObject Detector(string? path = null) =>
        JsonNode.Parse(File.ReadAllText(path ?? DeliveryFiles.TaskDefinition))!["containerDefinitions"]!.AsArray()
            .Single(c => (string)c!["name"]! == "detector")!.AsObject();

    public static IReadOnlyDictionary<string, string> Environment(string? path = null) =>
        Detector(path)["environment"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!, StringComparer.Ordinal);
}
