using Inference.Api.Hosting;
using Inference.Api.Observability;
using Inference.Core.Backends;
using Inference.Core.Imaging;
using Inference.Core.Repository;
using Inference.Core.Scheduling;
using Inference.Core.Serving;
using Inference.Core.Sources;
using Inference.Delivery.Tests.Support;
using Inference.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Inference.Delivery.Tests;

/// <summary>
/// The Dockerfiles, task definition, appspec and CloudFormation each repeat the port, the health paths, the timeouts
/// and the names the others use; these tests make them agree with each other and with the service itself.
/// </summary>
public sealed class ConsistencyTests : IDisposable
{
    private static readonly string[] FactFiles = ["Dockerfile", "Dockerfile.gpu", "task-definition.json", "deploy/appspec.yaml", "deploy/infrastructure.yaml"];

    // The sections the service binds (Core's InferenceOptions and the Api's ServiceSetup), by the options types bound to each.
    private static readonly Dictionary<string, Type[]> Sections = new(StringComparer.Ordinal)
    {
        [ModelOptions.Section] = [typeof(ModelOptions)],
        [BackendOptions.Section] = [typeof(BackendOptions)],
        [BatchingOptions.Section] = [typeof(BatchingOptions)],
        [LimitsOptions.Section] = [typeof(LimitsOptions), typeof(ImageLimits)],
        [ShutdownOptions.Section] = [typeof(ShutdownOptions)],
        [S3Options.Section] = [typeof(S3Options)],
        [EmfOptions.Section] = [typeof(EmfOptions)],
    };

    // Read by ASP.NET Core and the OpenTelemetry SDK themselves, not by a section of ours.
    private static readonly string[] PlatformVariables = ["ASPNETCORE_HTTP_PORTS", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"];

    private readonly string _directory = Directory.CreateTempSubdirectory("consistency-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Every_file_names_the_same_service_port()
    {
        var facts = DeliveryFacts.Read();

        Assert.Empty(facts.PortProblems());
        Assert.True(facts.Ports.Count >= 14, string.Join(", ", facts.Ports.Keys));
    }

    [Fact]
    public void A_port_changed_in_one_file_only_is_caught()
    {
        var root = CopyWith("deploy/appspec.yaml", text => text.Replace("ContainerPort: 8080", "ContainerPort: 8081", StringComparison.Ordinal));

        var problem = Assert.Single(DeliveryFacts.Read(root).PortProblems());

        Assert.Contains("appspec ContainerPort = 8081", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_timeouts_nest_from_load_balancer_to_sigkill()
    {
        var facts = DeliveryFacts.Read();

        Assert.Empty(facts.TimingProblems());
    }

    [Theory]
    [InlineData("Shutdown__TimeoutSeconds\", \"value\": \"45\"", "Shutdown__TimeoutSeconds\", \"value\": \"60\"", "SIGKILL")]
    [InlineData("Shutdown__DrainDelaySeconds\", \"value\": \"15\"", "Shutdown__DrainDelaySeconds\", \"value\": \"5\"", "draining task")]
    [InlineData("Model__StartupTimeoutSeconds\", \"value\": \"280\"", "Model__StartupTimeoutSeconds\", \"value\": \"600\"", "startPeriod")]
    [InlineData("Shutdown__DrainDelaySeconds\", \"value\": \"15\"", "Shutdown__DrainDelaySeconds\", \"value\": \"30\"", "deregistration delay (30 s) < stopTimeout")]
    [InlineData("\"stopTimeout\": 60", "\"stopTimeout\": 30", "< stopTimeout (30 s) does not hold")]
    [InlineData("Shutdown__DrainDelaySeconds\", \"value\": \"15\"", "Shutdown__DrainDelaySeconds\", \"value\": \"20\"", "past Shutdown:TimeoutSeconds")]
    [InlineData("\"name\": \"ASPNETCORE_HTTP_PORTS\"", "\"name\": \"Limits__RequestTimeoutMs\", \"value\": \"45000\" },\n        { \"name\": \"ASPNETCORE_HTTP_PORTS\"", "deregistration delay")]
    public void A_timeout_that_breaks_the_nesting_is_caught(string good, string bad, string expected)
    {
        var root = CopyWith("task-definition.json", text => text.Replace(good, bad, StringComparison.Ordinal));

        Assert.Contains(DeliveryFacts.Read(root).TimingProblems(), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_container_and_deploy_hook_names_agree()
    {
        var facts = DeliveryFacts.Read();

        Assert.Empty(facts.NameProblems());
        Assert.Equal(4, facts.Names.Count(n => n.Key.StartsWith("container ", StringComparison.Ordinal)));
        Assert.Equal(2, facts.Names.Count(n => n.Key.StartsWith("hook ", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_renamed_hook_is_caught()
    {
        var root = CopyWith("deploy/appspec.yaml", text => text.Replace("\"detector-deploy-validator\"", "\"detector-validator\"", StringComparison.Ordinal));

        Assert.Contains(DeliveryFacts.Read(root).NameProblems(), p => p.StartsWith("The hook differs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_health_path_is_an_endpoint_of_the_service_and_traffic_waits_for_readiness()
    {
        var facts = DeliveryFacts.Read();
        await using var app = new ConfiguredService(new Dictionary<string, string?>());

        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>().Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/')).ToHashSet(StringComparer.Ordinal);

        foreach (var (file, path) in facts.HealthPaths)
        {
            Assert.True(routes.Contains(path), $"{file} probes {path}, which the service does not serve ({string.Join(", ", routes.Order())}).");
        }

        // Load balancers and ECS gate on readiness (model loaded, verified, warmed); Docker only on liveness.
        Assert.All(facts.HealthPaths.Where(p => !p.Key.StartsWith("Dockerfile", StringComparison.Ordinal)), p => Assert.Equal("/health/ready", p.Value));
        Assert.All(facts.HealthPaths.Where(p => p.Key.StartsWith("Dockerfile", StringComparison.Ordinal)), p => Assert.Equal("/health/live", p.Value));
    }

    [Fact]
    public void Every_task_definition_setting_binds_to_a_setting_of_the_service()
    {
        Assert.Empty(UnboundSettings(TaskDefinitionFacts.Environment()));
    }

    [Fact]
    public void A_misspelled_task_definition_setting_is_caught()
    {
        var environment = new Dictionary<string, string>(TaskDefinitionFacts.Environment()) { ["Batching__MaxBatchSzie"] = "16", ["Modle__Uri"] = "s3://b/k" };

        var problems = UnboundSettings(environment);

        Assert.Contains(problems, p => p.Contains("MaxBatchSzie", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Modle", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_service_reads_the_values_the_task_definition_sets()
    {
        var environment = TaskDefinitionFacts.Environment();
        var settings = environment
            .Where(e => e.Key.Contains("__", StringComparison.Ordinal) && !e.Value.Contains('<', StringComparison.Ordinal))
            .ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => (string?)e.Value);

        // Only what this machine cannot honour is swapped: no GPU here, no /var/cache, no S3 pin.
        settings["Inference:ExecutionProvider"] = "cpu";
        settings["Model:CacheDirectory"] = _directory;
        await using var app = new ConfiguredService(settings);

        var batching = app.Services.GetRequiredService<IOptions<BatchingOptions>>().Value;
        var shutdown = app.Services.GetRequiredService<IOptions<ShutdownOptions>>().Value;
        var host = app.Services.GetRequiredService<IOptions<HostOptions>>().Value;
        var model = app.Services.GetRequiredService<IOptions<ModelRepositoryOptions>>().Value.Default;

        Assert.Equal(int.Parse(environment["Batching__MaxBatchSize"]), batching.MaxBatchSize);
        Assert.Equal(int.Parse(environment["Batching__MaxQueue"]), batching.MaxQueue);
        Assert.Equal(int.Parse(environment["Shutdown__DrainDelaySeconds"]), shutdown.DrainDelaySeconds);
        Assert.Equal(TimeSpan.FromSeconds(int.Parse(environment["Shutdown__TimeoutSeconds"])), host.ShutdownTimeout);
        Assert.Equal(int.Parse(environment["Model__StartupTimeoutSeconds"]), model.StartupTimeoutSeconds);
    }

    [Fact]
    public void The_release_workflow_fills_every_placeholder_of_the_task_definition()
    {
        Assert.Null(Record.Exception(() => RenderAsTheWorkflowDoes(File.ReadAllText(ReleaseWorkflow))));
    }

    [Fact]
    public void A_placeholder_the_workflow_forgets_is_caught()
    {
        var workflow = File.ReadAllText(ReleaseWorkflow).Replace("--placeholder \"LOG_GROUP=", "--not-a-placeholder \"LOG_GROUP=", StringComparison.Ordinal);

        var failure = Assert.Throws<InvalidDataException>(() => RenderAsTheWorkflowDoes(workflow));

        Assert.Contains("<LOG_GROUP>", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tasks_log_to_the_group_their_stack_creates_and_lets_them_write()
    {
        var workflowGroup = WorkflowPlaceholders(File.ReadAllText(ReleaseWorkflow))["LOG_GROUP"].Replace("$ENVIRONMENT", "${EnvironmentName}", StringComparison.Ordinal);
        var template = CloudFormation.Load(DeliveryFiles.Infrastructure);
        var stackGroup = (string)template["Resources"]!["LogGroup"]!["Properties"]!["LogGroupName"]!["Fn::Sub"]!;
        var executionRoleLogs = template["Resources"]!["TaskExecutionRole"]!["Properties"]!["Policies"]![0]!["PolicyDocument"]!["Statement"]!.AsArray()
            .Single(s => CloudFormation.AsList(s!["Action"]).Any(a => (string)a! == "logs:PutLogEvents"))!;

        Assert.Equal(stackGroup, workflowGroup);
        Assert.Equal("${LogGroup.Arn}:*", (string)executionRoleLogs["Resource"]!["Fn::Sub"]!);
    }

    private static string ReleaseWorkflow => Path.Combine(DeliveryFiles.Root, ".github", "workflows", "deploy-environment.yml");

    // The workflow's --placeholder NAME=value pairs and a registry pin's Model__ environment, as the release renders them.
    private static void RenderAsTheWorkflowDoes(string workflow)
    {
        var pin = new Inference.Registry.Models.ModelArtifact
        {
            Weights = new Inference.Registry.Models.PinnedFile("s3://models/m/model.onnx", "v1", new string('a', 64)),
            Manifest = new Inference.Registry.Models.PinnedFile("s3://models/m/manifest.json", "v1"),
            Format = "yolov8",
        };
        Inference.Cli.Deploy.TaskDefinitionRenderer.Render(
            System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(DeliveryFiles.TaskDefinition))!,
            "detector",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/detector@sha256:" + new string('b', 64),
            pin.Environment,
            WorkflowPlaceholders(workflow));
    }

    private static Dictionary<string, string> WorkflowPlaceholders(string workflow) =>
        System.Text.RegularExpressions.Regex.Matches(workflow, "--placeholder \"([A-Z][A-Z0-9_]*)=([^\"]*)\"")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

    /// <summary>Settings that name a section the service does not bind, or a key its options type does not have.</summary>
    private static List<string> UnboundSettings(IReadOnlyDictionary<string, string> environment)
    {
        var problems = new List<string>();
        foreach (var name in environment.Keys.Where(k => !PlatformVariables.Contains(k)))
        {
            var section = name.Split("__")[0];
            if (!name.Contains("__", StringComparison.Ordinal) || !Sections.TryGetValue(section, out var types))
            {
                problems.Add($"{name}: the service binds no section '{section}'.");
                continue;
            }

            // A key is bound when one of the section's types takes it without complaint.
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection([KeyValuePair.Create(name.Replace("__", ":", StringComparison.Ordinal), (string?)environment[name])])
                .Build();
            var errors = new List<string>();
            foreach (var type in types)
            {
                try
                {
                    configuration.GetSection(section).Get(type, o => o.ErrorOnUnknownConfiguration = true);
                    errors.Clear();
                    break;
                }
                catch (InvalidOperationException error)
                {
                    errors.Add(error.Message);
                }
            }

            if (errors.Count > 0)
            {
                problems.Add($"{name}: {string.Join(" ", errors)}");
            }
        }

        return problems;
    }

    private string CopyWith(string relative, Func<string, string> change)
    {
        var root = Path.Combine(_directory, "root");
        foreach (var file in FactFiles)
        {
            var target = Path.Combine(root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(DeliveryFiles.Root, file), target, overwrite: true);
        }

        DeliveryFiles.BrokenCopy(Path.Combine(DeliveryFiles.Root, relative), change, Path.GetDirectoryName(Path.Combine(root, relative))!);
        return root;
    }

    /// <summary>The service's own Program with extra settings, in memory.</summary>
    private sealed class ConfiguredService(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            var all = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Inference:ExecutionProvider"] = "cpu",
                ["Model:Manifest"] = Path.Combine(RepositoryPaths.Root, "models", "shapes-demo", "manifest.json"),
            };
            foreach (var (key, value) in settings)
            {
                all[key] = value;
            }

            builder.UseEnvironment("Testing");
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(all));
        }
    }
}
