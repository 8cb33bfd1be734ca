using System.Net;
using System.Text.Json.Nodes;
using Inference.Delivery.Tests.Support;
using Inference.Lambda.Hosting;
using Inference.Lambda.Preprocessing;
using Microsoft.Extensions.Configuration;

namespace Inference.Delivery.Tests;

/// <summary>
/// The combination (deploy/lambda/preprocess.yaml, deploy-pipeline.yml), checked offline: the function runs the
/// preprocess handler with settings it binds, inside its timeout; uploads and results never meet (no loop); failed
/// events are retried, then kept; the function reaches the environment's load balancer and the balancer admits it;
/// and one workflow run releases the service and then the function, with one approval.
/// </summary>
public sealed class CombinationDeliveryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("combination-").FullName;
    private readonly JsonObject _template = CloudFormation.Load(DeliveryFiles.PreprocessTemplate);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private JsonObject Properties(string resource) => _template["Resources"]![resource]!["Properties"]!.AsObject();

    [Fact]
    public void The_function_runs_the_preprocess_handler_with_settings_it_binds_inside_its_timeout()
    {
        Assert.Empty(FunctionProblems(_template));
    }

    [Theory]
    [InlineData("        Command: [preprocess]", "        Command: [pre-process]", "pre-process")]
    [InlineData("          Preprocess__RequestTimeoutMs: \"30000\"", "          Preprocess__RequestTimeoutMs: \"90000\"", "timeout")]
    [InlineData("          Preprocess__ResultsPrefix: results/", "          Preprocess__ResultPrefix: results/", "ResultPrefix")]
    public void A_function_that_would_not_start_or_would_time_out_is_caught(string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.PreprocessTemplate, t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        Assert.Contains(FunctionProblems(CloudFormation.Load(broken)), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Uploads_trigger_the_function_and_its_results_never_do()
    {
        Assert.Empty(LoopProblems(_template));
    }

    [Fact]
    public void Results_written_where_uploads_trigger_are_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.PreprocessTemplate, t => t.Replace("Value: uploads/", "Value: \"\"", StringComparison.Ordinal), _directory);

        Assert.Contains(LoopProblems(CloudFormation.Load(broken)), p => p.Contains("loop", StringComparison.Ordinal));
    }

    [Fact]
    public void Failed_events_are_retried_then_kept_in_the_dead_letter_queue_the_function_may_write_to()
    {
        var retry = Properties("RetryPolicy");
        var role = CloudFormationTests.Statements(Properties("FunctionRole")).Single(s => CloudFormationTests.Actions(s).Contains("sqs:SendMessage"));

        Assert.Equal("Function", (string)retry["FunctionName"]!["Ref"]!);
        Assert.Equal("$LATEST", (string)retry["Qualifier"]!);
        Assert.InRange(int.Parse((string)retry["MaximumRetryAttempts"]!, System.Globalization.CultureInfo.InvariantCulture), 1, 2);
        Assert.Equal(["DeadLetters"], CloudFormation.ReferencedNames(retry["DestinationConfig"]!["OnFailure"]!["Destination"]));
        Assert.Equal(["DeadLetters"], CloudFormation.ReferencedNames(role["Resource"]));
        Assert.Equal(["Notifications"], CloudFormation.ReferencedNames(Properties("DeadLettersAlarm")["AlarmActions"]));
    }

    [Fact]
    public void The_function_reaches_the_environments_load_balancer_and_the_balancer_admits_it()
    {
        Assert.Empty(PathProblems(_template, CloudFormation.Load(DeliveryFiles.Infrastructure)));
    }

    [Fact]
    public void A_function_that_calls_the_service_port_instead_of_the_listener_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.PreprocessTemplate, t => DeliveryFiles.ReplaceFirst(t, "          FromPort: 80\n          ToPort: 80", "          FromPort: 8080\n          ToPort: 8080"), _directory);

        Assert.Contains(PathProblems(CloudFormation.Load(broken), CloudFormation.Load(DeliveryFiles.Infrastructure)), p => p.Contains("port 80", StringComparison.Ordinal));
    }

    [Fact]
    public void One_run_releases_the_service_then_the_function_in_one_job_of_the_environment()
    {
        var pipeline = CloudFormation.Load(DeliveryFiles.Workflow("deploy-pipeline.yml"));
        var release = pipeline["jobs"]!["release"]!;
        var steps = CloudFormation.Load(DeliveryFiles.Workflow("deploy-environment.yml"))["jobs"]!["release"]!["steps"]!.AsArray().ToList();
        var outcome = steps.FindIndex(s => (string?)s!["name"] == "Record the outcome");
        var update = steps.FindIndex(s => (string?)s!["name"] == "Put the release on the preprocess function");

        Assert.Equal("./.github/workflows/deploy-environment.yml", (string)release["uses"]!);
        Assert.Equal("${{ needs.images.outputs.lambda-image }}", (string)release["with"]!["lambda-image"]!);
        Assert.Equal("${{ inputs.environment }}", (string)release["with"]!["environment"]!);
        Assert.Single(ReleaseWorkflowTests.JobsInAnEnvironment(DeliveryFiles.Workflow("deploy-pipeline.yml")));
        Assert.True(outcome >= 0 && update > outcome);
        Assert.Equal("inputs.lambda-image != '' && steps.outcome.outputs.status == 'succeeded'", (string)steps[update]!["if"]!);
        Assert.Equal("${{ vars.PREPROCESS_DEPLOY_ROLE_ARN }}", (string)steps[update - 1]!["with"]!["role-to-assume"]!);
    }

    [SkippableFact]
    public async Task The_release_puts_the_commits_lambda_image_on_the_environments_preprocess_function()
    {
        using var steps = new WorkflowSteps();
        const string Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/detector-lambda@sha256:4444444444444444444444444444444444444444444444444444444444444444";

        var (exitCode, output) = await steps.RunAsync(
            WorkflowSteps.Script(DeliveryFiles.Workflow("deploy-environment.yml"), "release", "Put the release on the preprocess function"),
            new Dictionary<string, string> { ["FUNCTION"] = "detector-preprocess-staging", ["LAMBDA_IMAGE"] = Image });

        Assert.True(exitCode == 0, output);
        Assert.Equal(
            [$"aws lambda update-function-code --function-name detector-preprocess-staging --image-uri {Image}", "aws lambda wait function-updated-v2 --function-name detector-preprocess-staging"],
            steps.Calls);
    }

    [Fact]
    public void The_function_imports_what_the_ecs_stack_exports_and_its_deploy_role_updates_its_code_only()
    {
        var import = (string)Properties("Function")["Environment"]!["Variables"]!["Preprocess__ServiceUrl"]!["Fn::ImportValue"]!["Fn::Sub"]!;
        var exports = CloudFormation.Exports(CloudFormation.Load(DeliveryFiles.Infrastructure), "EcsStackName");
        var actions = CloudFormationTests.Statements(Properties("DeployRole")).SelectMany(CloudFormationTests.Actions).ToArray();

        Assert.Contains(import, exports);
        Assert.Equal(["lambda:UpdateFunctionCode", "lambda:GetFunction", "lambda:GetFunctionConfiguration"], actions);
        Assert.Equal("repo:${GitHubRepository}:environment:${EnvironmentName}", (string)Properties("DeployRole")["AssumeRolePolicyDocument"]!["Statement"]![0]!["Condition"]!["StringEquals"]!["token.actions.githubusercontent.com:sub"]!["Fn::Sub"]!);
    }

    /// <summary>
    /// The image command is a handler the function has; every Preprocess__/Limits__ variable binds (unknown keys refused);
    /// and the function's timeout covers one service call (Preprocess:RequestTimeoutMs) with room for the download,
    /// decode and result upload.
    /// </summary>
    public static IReadOnlyList<string> FunctionProblems(JsonObject template)
    {
        const int RoomSeconds = 15;
        var problems = new List<string>();
        var function = template["Resources"]!["Function"]!["Properties"]!;
        foreach (var command in function["ImageConfig"]!["Command"]!.AsArray().Select(c => (string)c!))
        {
            if (!LambdaHost.Handlers.Contains(command))
            {
                problems.Add($"The image command '{command}' is not a handler of the function ({string.Join(", ", LambdaHost.Handlers)}).");
            }
        }

        var variables = function["Environment"]!["Variables"]!.AsObject();
        var settings = variables.Where(v => v.Value is JsonValue).ToDictionary(v => v.Key.Replace("__", ":", StringComparison.Ordinal), v => (string?)v.Value, StringComparer.Ordinal);
        settings["Preprocess:ServiceUrl"] = "http://internal-detector-staging.elb.example";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        PreprocessOptions? options = null;
        try
        {
            options = configuration.GetSection(PreprocessOptions.Section).Get<PreprocessOptions>(o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            problems.Add($"A Preprocess__ variable does not bind: {ex.Message}");
        }

        foreach (var name in variables.Select(v => v.Key).Where(k => !k.StartsWith("Preprocess__", StringComparison.Ordinal)))
        {
            problems.Add($"{name} is not a Preprocess__ setting of the function.");
        }

        var timeout = int.Parse((string)function["Timeout"]!, System.Globalization.CultureInfo.InvariantCulture);
        if (options is not null && options.RequestTimeoutMs / 1000 + RoomSeconds > timeout)
        {
            problems.Add($"The function's timeout ({timeout} s) does not cover Preprocess:RequestTimeoutMs ({options.RequestTimeoutMs} ms) and {RoomSeconds} s for the download, decode and upload.");
        }

        return problems;
    }

    /// <summary>The bucket invokes the function for uploads/ only; the function writes to its results prefix only, outside it.</summary>
    public static IReadOnlyList<string> LoopProblems(JsonObject template)
    {
        var problems = new List<string>();
        var notification = template["Resources"]!["UploadsBucket"]!["Properties"]!["NotificationConfiguration"]!["LambdaConfigurations"]!.AsArray().Single()!;
        var trigger = (string?)notification["Filter"]?["S3Key"]?["Rules"]?.AsArray().SingleOrDefault(r => (string)r!["Name"]! == "prefix")?["Value"] ?? string.Empty;
        var results = (string)template["Resources"]!["Function"]!["Properties"]!["Environment"]!["Variables"]!["Preprocess__ResultsPrefix"]!;
        var writes = CloudFormationTests.Statements(template["Resources"]!["FunctionRole"]!["Properties"]!.AsObject())
            .Where(s => CloudFormationTests.Actions(s).Contains("s3:PutObject"))
            .Select(s => ((string)s["Resource"]!["Fn::Sub"]!).Split('/', 2)[1]).ToArray();

        if (trigger.Length == 0 || results.StartsWith(trigger, StringComparison.Ordinal) || trigger.StartsWith(results, StringComparison.Ordinal))
        {
            problems.Add($"Uploads trigger on '{trigger}' and results go to '{results}': each result would invoke the function again (a loop the handler only breaks by skipping).");
        }

        if (!writes.All(w => w == results + "*"))
        {
            problems.Add($"The function may write {string.Join(", ", writes)}, not only its results ({results}*).");
        }

        return problems;
    }

    /// <summary>
    /// With the README's parameters (private subnets in 10.20.0.0/16, an internal load balancer at 10.20.1.15): the
    /// function's egress on the production listener's port reaches the balancer, and the balancer's ingress on that
    /// port admits the function's address.
    /// </summary>
    public static IReadOnlyList<string> PathProblems(JsonObject preprocess, JsonObject infrastructure)
    {
        var function = IPAddress.Parse("10.20.3.7");
        var balancer = IPAddress.Parse("10.20.1.15");
        var problems = new List<string>();
        var port = int.Parse((string)infrastructure["Resources"]!["ProductionListener"]!["Properties"]!["Port"]!, System.Globalization.CultureInfo.InvariantCulture);
        var egress = Rules(preprocess["Resources"]!["FunctionSecurityGroup"]!["Properties"]!["SecurityGroupEgress"]!.AsArray(), port).Select(r => Cidr(r, preprocess)).ToArray();
        if (!egress.Any(c => IPNetwork.Parse(c).Contains(balancer)))
        {
            problems.Add($"The function's egress on port {port} ({string.Join(", ", egress)}) does not reach the load balancer at {balancer}.");
        }

        var ingress = Rules(infrastructure["Resources"]!["LoadBalancerSecurityGroup"]!["Properties"]!["SecurityGroupIngress"]!.AsArray(), port).Select(r => Cidr(r, infrastructure)).ToArray();
        if (!ingress.Any(c => IPNetwork.Parse(c).Contains(function)))
        {
            problems.Add($"The production listener (port {port}) admits {string.Join(", ", ingress)} and refuses the function at {function}.");
        }

        return problems;
    }

    private static IEnumerable<JsonNode> Rules(JsonArray rules, int port) =>
        rules.Where(r => int.Parse((string)r!["FromPort"]!, System.Globalization.CultureInfo.InvariantCulture) <= port && port <= int.Parse((string)r["ToPort"]!, System.Globalization.CultureInfo.InvariantCulture))!;

    private static string Cidr(JsonNode rule, JsonObject template) =>
        rule["CidrIp"] is JsonValue literal ? (string)literal! : (string)template["Parameters"]![(string)rule["CidrIp"]!["Ref"]!]!["Default"]!;
}
