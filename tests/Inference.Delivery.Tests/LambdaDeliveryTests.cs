using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Inference.Delivery.Tests.Support;
using Inference.Registry.Models;
using MongoDB.Bson;

namespace Inference.Delivery.Tests;

/// <summary>
/// The Lambda path, checked offline: Dockerfile.lambda, deploy/lambda (the validator, the light-model stack and the
/// appspec), the deploy-lambda workflow and the validator step the ECS release shares. src/Inference.Lambda is written
/// elsewhere: these tests hold its contract as strings (how it is published, its two handlers).
/// </summary>
public sealed partial class LambdaDeliveryTests : IDisposable
{
    // The contract of the Lambda package: its publish command and the handlers its image may be told to run.
    private const string PublishCommand = "dotnet publish src/Inference.Lambda/Inference.Lambda.csproj -c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=true -o /asset";

    private const string ValidatorName = "detector-deploy-validator";

    private static readonly string[] Handlers = ["detect", "validate"];

    private readonly string _directory = Directory.CreateTempSubdirectory("lambda-").FullName;
    private readonly JsonObject _validator = CloudFormation.Load(DeliveryFiles.ValidatorTemplate);
    private readonly JsonObject _template = CloudFormation.Load(DeliveryFiles.LambdaTemplate);
    private readonly JsonObject _shared = CloudFormation.Load(DeliveryFiles.SharedInfrastructure);
    private readonly JsonObject _infrastructure = CloudFormation.Load(DeliveryFiles.Infrastructure);

    public static TheoryData<string> Templates() => new("validator.yaml", "template.yaml");

    public static TheoryData<string> ValidatorSteps() => new("deploy-environment.yml", "deploy-lambda.yml");

    private static string LambdaWorkflow => DeliveryFiles.Workflow("deploy-lambda.yml");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // --- The image -------------------------------------------------------------------------------------------------

    [SkippableFact]
    public async Task The_lambda_dockerfile_passes_dockerfilelint()
    {
        var lint = Tool.NodeModule(".bin/dockerfilelint");

        var (exitCode, output) = await Tool.RunAsync(lint, DeliveryFiles.LambdaDockerfile);

        Assert.True(exitCode == 0, output);
    }

    [SkippableFact]
    public async Task A_broken_lambda_dockerfile_is_caught_by_dockerfilelint()
    {
        var lint = Tool.NodeModule(".bin/dockerfilelint");
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.LambdaDockerfile, t => DeliveryFiles.ReplaceFirst(t, "CMD [\"detect\"]", "CMD"), _directory);

        var (exitCode, _) = await Tool.RunAsync(lint, broken);

        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public void The_lambda_image_publishes_as_the_package_contract_says_and_the_runtime_finds_bootstrap()
    {
        Assert.Empty(LambdaImageProblems(File.ReadAllText(DeliveryFiles.LambdaDockerfile)));
    }

    [Theory]
    [InlineData("COPY --from=build /asset ${LAMBDA_RUNTIME_DIR}", "COPY --from=build /asset/bootstrap ${LAMBDA_RUNTIME_DIR}", "bootstrap")]
    [InlineData("COPY --from=build /asset ${LAMBDA_RUNTIME_DIR}", "COPY --from=build /asset /var/task", "bootstrap")]
    [InlineData(" -p:PublishReadyToRun=true", "", "publish exactly")]
    [InlineData("CMD [\"detect\"]", "CMD [\"serve\"]", "handler")]
    [InlineData("CMD [\"detect\"]", "ENTRYPOINT [\"/var/runtime/bootstrap\"]\nCMD [\"detect\"]", "ENTRYPOINT")]
    [InlineData("FROM public.ecr.aws/lambda/provided:al2023", "FROM public.ecr.aws/lambda/dotnet:8", "provided:al2023")]
    public void A_lambda_image_that_breaks_the_contract_is_caught(string good, string bad, string expected)
    {
        var broken = DeliveryFiles.ReplaceFirst(File.ReadAllText(DeliveryFiles.LambdaDockerfile), good, bad);

        Assert.Contains(LambdaImageProblems(broken), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_image_and_the_light_function_agree_on_the_cpu_provider_and_a_cache_under_tmp()
    {
        var image = ImageEnvironment(File.ReadAllText(DeliveryFiles.LambdaDockerfile));
        var function = Properties(_template, "Function")["Environment"]!["Variables"]!.AsObject().ToDictionary(v => v.Key, v => (string)v.Value!, StringComparer.Ordinal);
        var ecsImage = File.ReadAllText(DeliveryFiles.CpuDockerfile);

        Assert.Equal(image.OrderBy(v => v.Key), function.OrderBy(v => v.Key));
        Assert.Equal("cpu", function["Inference__ExecutionProvider"]);
        Assert.StartsWith("/tmp/", function["Model__CacheDirectory"], StringComparison.Ordinal);

        // The same settings the ECS images set, which ConsistencyTests binds to the service's options.
        Assert.All(function.Keys, key => Assert.Contains($"{key}=", ecsImage, StringComparison.Ordinal));
    }

    [Fact]
    public void Everything_is_built_for_and_runs_on_x86_64()
    {
        var workflow = File.ReadAllText(LambdaWorkflow);

        Assert.Contains(" -r linux-x64 ", PublishCommand, StringComparison.Ordinal);
        Assert.Contains(" detector-lambda Dockerfile.lambda --platform linux/amd64 --provenance=false)", workflow, StringComparison.Ordinal);
        Assert.Equal(["x86_64"], Properties(_validator, "Function")["Architectures"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(["x86_64"], Properties(_template, "Function")["Architectures"]!.AsArray().Select(a => (string)a!));
    }

    // --- CloudFormation: specification, policies, conditions, imports ----------------------------------------------

    [SkippableTheory]
    [MemberData(nameof(Templates))]
    public void Every_resource_type_and_property_exists_in_the_cloudformation_specification(string file)
    {
        var problems = Spec().Check(LoadTemplate(file));

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [SkippableTheory]
    [InlineData("validator.yaml", "      ImageConfig:\n        Command: [validate]", "      ImageConfg:\n        Command: [validate]", "ImageConfg: not a property")]
    [InlineData("template.yaml", "      DeploymentConfigName: CodeDeployDefault", "      DeploymentConfigNme: CodeDeployDefault", "DeploymentConfigNme: not a property")]
    [InlineData("template.yaml", "Type: AWS::Lambda::Url", "Type: AWS::Lambda::Uri", "unknown resource type AWS::Lambda::Uri")]
    [InlineData("template.yaml", "      InvokedViaFunctionUrl: true", "      InvokedViaFunctionUri: true", "InvokedViaFunctionUri: not a property")]
    [InlineData("validator.yaml", "      PackageType: Image", "      InvokedViaFunctionUrl: true\n      PackageType: Image", "InvokedViaFunctionUrl: not a property of AWS::Lambda::Function")]
    public void A_misspelled_type_or_property_is_caught_and_newer_properties_pass_only_where_allowed(string file, string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(TemplatePath(file), t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        var problems = Spec().Check(CloudFormation.Load(broken));

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void No_policy_allows_wildcard_actions_or_any_resource_except_where_aws_has_no_resource_level_permissions(string file)
    {
        Assert.Empty(CloudFormationTests.PolicyProblems(LoadTemplate(file)));
    }

    [Fact]
    public void A_release_role_that_may_change_any_function_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(
            DeliveryFiles.LambdaTemplate,
            t => DeliveryFiles.ReplaceFirst(t, "lambda:PublishVersion]\n                Resource: !GetAtt Function.Arn", "lambda:PublishVersion]\n                Resource: \"*\""),
            _directory);

        var problems = CloudFormationTests.PolicyProblems(CloudFormation.Load(broken));

        Assert.Equal(
            ["DeployRole: 'lambda:UpdateFunctionCode' on resource '*'", "DeployRole: 'lambda:UpdateFunctionConfiguration' on resource '*'", "DeployRole: 'lambda:PublishVersion' on resource '*'"],
            problems);
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Nothing_refers_to_a_resource_that_its_condition_may_leave_out(string file)
    {
        Assert.Empty(CloudFormationTests.ConditionProblems(LoadTemplate(file)));
    }

    [Fact]
    public void A_reference_to_a_permission_that_may_not_exist_is_caught()
    {
        var path = DeliveryFiles.BrokenCopy(DeliveryFiles.LambdaTemplate, t => t + "  PublicPermission:\n    Value: !Ref LivePublicUrlInvoke\n", _directory);

        Assert.Contains("PublicPermission refers to LivePublicUrlInvoke", Assert.Single(CloudFormationTests.ConditionProblems(CloudFormation.Load(path))), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Every_value_a_lambda_stack_imports_is_exported_by_the_shared_stack(string file)
    {
        Assert.Empty(ImportProblems(LoadTemplate(file), _shared));
    }

    [Fact]
    public void An_import_the_shared_stack_does_not_export_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.LambdaTemplate, t => DeliveryFiles.ReplaceFirst(t, "-ModelsBucketArn\"", "-ModelBucketArn\""), _directory);

        Assert.Contains("${SharedStackName}-ModelBucketArn", Assert.Single(ImportProblems(CloudFormation.Load(broken), _shared)), StringComparison.Ordinal);
    }

    // --- The validator -----------------------------------------------------------------------------------------------

    [Fact]
    public void The_validator_may_only_report_hook_verdicts_of_this_products_deployment_groups()
    {
        Assert.Empty(ValidatorRoleProblems(_validator));
    }

    [Theory]
    [InlineData("                Action: codedeploy:PutLifecycleEventHookExecutionStatus\n", "                Action: [codedeploy:PutLifecycleEventHookExecutionStatus, lambda:InvokeFunction]\n", "lambda:InvokeFunction")]
    [InlineData(":deploymentgroup:detector-*\"", ":deploymentgroup:*\"", "deployment groups")]
    [InlineData("service-role/AWSLambdaVPCAccessExecutionRole\"", "AdministratorAccess\"", "AdministratorAccess")]
    public void A_validator_that_may_do_more_is_caught(string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.ValidatorTemplate, t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        Assert.Contains(ValidatorRoleProblems(CloudFormation.Load(broken)), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_validator_runs_the_validate_handler_in_the_vpc_and_only_calls_out()
    {
        var function = Properties(_validator, "Function");
        var egress = Properties(_validator, "SecurityGroup")["SecurityGroupEgress"]!.AsArray();
        var testListener = Properties(_infrastructure, "TestListener");

        Assert.Equal(ValidatorName, (string)function["FunctionName"]!);
        Assert.Equal("Image", (string)function["PackageType"]!);
        Assert.Equal(["validate"], function["ImageConfig"]!["Command"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("SubnetIds", (string)function["VpcConfig"]!["SubnetIds"]!["Ref"]!);
        Assert.InRange(Int(function["Timeout"]), 60, 900);
        Assert.Equal(new Dictionary<string, string> { ["VALIDATOR_REQUESTS"] = "20", ["VALIDATOR_P95_BUDGET_MS"] = "1000" }, Variables(function));
        Assert.Null(Properties(_validator, "SecurityGroup")["SecurityGroupIngress"]);
        Assert.Equal([443, Int(testListener["Port"])], egress.Select(e => Int(e!["FromPort"])).Order());
        Assert.Equal(
            (string)_infrastructure["Parameters"]!["ValidatorCidr"]!["Default"]!,
            (string)_validator["Parameters"]!["TestListenerCidr"]!["Default"]!);
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Each_function_logs_to_its_own_group_with_a_retention(string file)
    {
        var template = LoadTemplate(file);
        var group = Properties(template, "LogGroup");

        Assert.Equal("LogGroup", (string)template["Resources"]!["Function"]!["DependsOn"]!);
        Assert.True(Int(group["RetentionInDays"]) > 0);
        Assert.Equal("/aws/lambda/" + Text(Properties(template, "Function")["FunctionName"]!), Text(group["LogGroupName"]!));
    }

    // --- The light function ------------------------------------------------------------------------------------------

    [Fact]
    public void The_light_function_serves_the_detect_handler_through_two_aliases_with_a_url_each()
    {
        var function = Properties(_template, "Function");
        var parameters = _template["Parameters"]!;

        Assert.Equal("detector-light-${EnvironmentName}", (string)function["FunctionName"]!["Fn::Sub"]!);
        Assert.Equal(["detect"], function["ImageConfig"]!["Command"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("2048", (string)parameters["MemorySize"]!["Default"]!);
        Assert.Equal("AWS_IAM", (string)parameters["FunctionUrlAuthType"]!["Default"]!);
        foreach (var (alias, url, name) in new[] { ("LiveAlias", "LiveUrl", "live"), ("CandidateAlias", "CandidateUrl", "candidate") })
        {
            Assert.Equal(name, (string)Properties(_template, alias)["Name"]!);
            Assert.Equal("InitialVersion", GetAttResource(Properties(_template, alias)["FunctionVersion"]));
            Assert.Equal(name, (string)Properties(_template, url)["Qualifier"]!);
            Assert.Equal(alias, (string)_template["Resources"]![url]!["DependsOn"]!);
            Assert.Equal("FunctionUrlAuthType", (string)Properties(_template, url)["AuthType"]!["Ref"]!);
        }
    }

    [Fact]
    public void Function_urls_are_public_only_when_chosen_and_never_open_the_invoke_api()
    {
        Assert.Empty(UrlPermissionProblems(_template));
    }

    [Theory]
    [InlineData("      Principal: \"*\"\n      InvokedViaFunctionUrl: true\n", "      Principal: \"*\"\n", "LivePublicInvokeThroughUrl")]
    [InlineData("  LivePublicUrlInvoke:\n    Type: AWS::Lambda::Permission\n    Condition: PublicUrls\n", "  LivePublicUrlInvoke:\n    Type: AWS::Lambda::Permission\n", "LivePublicUrlInvoke")]
    [InlineData("      FunctionUrlAuthType: AWS_IAM\n", "      FunctionUrlAuthType: NONE\n", "CandidateUrlInvokeByValidator")]
    public void A_url_permission_that_opens_too_much_is_caught(string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.LambdaTemplate, t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        Assert.Contains(UrlPermissionProblems(CloudFormation.Load(broken)), p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Codedeploy_releases_a_canary_that_rolls_back_on_failure_and_on_both_alarms_of_the_live_alias()
    {
        var group = Properties(_template, "DeploymentGroup");
        var role = Properties(_template, "CodeDeployRole");
        var invoke = Assert.Single(CloudFormationTests.Statements(role));

        Assert.Equal("Lambda", (string)Properties(_template, "Application")["ComputePlatform"]!);
        Assert.Equal("CodeDeployDefault.LambdaCanary10Percent5Minutes", (string)group["DeploymentConfigName"]!);
        Assert.Equal("true", (string)group["AutoRollbackConfiguration"]!["Enabled"]!);
        Assert.Equal(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"], group["AutoRollbackConfiguration"]!["Events"]!.AsArray().Select(e => (string)e!));
        Assert.Equal("true", (string)group["AlarmConfiguration"]!["Enabled"]!);
        Assert.Equal(["ErrorsAlarm", "DurationP99Alarm"], group["AlarmConfiguration"]!["Alarms"]!.AsArray().Select(a => (string)a!["Name"]!["Ref"]!));
        Assert.Equal("Errors", (string)Properties(_template, "ErrorsAlarm")["MetricName"]!);
        Assert.Equal("Duration", (string)Properties(_template, "DurationP99Alarm")["MetricName"]!);
        Assert.Equal("p99", (string)Properties(_template, "DurationP99Alarm")["ExtendedStatistic"]!);
        foreach (var alarm in new[] { "ErrorsAlarm", "DurationP99Alarm" })
        {
            Assert.Equal("AWS/Lambda", (string)Properties(_template, alarm)["Namespace"]!);
            var resource = Properties(_template, alarm)["Dimensions"]!.AsArray().Single(d => (string)d!["Name"]! == "Resource")!;
            Assert.Equal("${Function}:live", (string)resource["Value"]!["Fn::Sub"]!);
        }

        Assert.Equal(["arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"], role["ManagedPolicyArns"]!.AsArray().Select(a => (string)a!["Fn::Sub"]!));
        Assert.Equal(["lambda:InvokeFunction"], CloudFormationTests.Actions(invoke));
        Assert.Equal("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${ValidatorFunctionName}", (string)invoke["Resource"]!["Fn::Sub"]!);
    }

    [Fact]
    public void The_function_reads_only_the_models_prefix_of_the_shared_bucket_like_the_ecs_task()
    {
        var reads = CloudFormationTests.Statements(Properties(_template, "FunctionRole")).Where(s => CloudFormationTests.Actions(s).Any(a => a.StartsWith("s3:", StringComparison.Ordinal)));
        var task = CloudFormationTests.Statements(Properties(_infrastructure, "TaskRole")).Where(s => CloudFormationTests.Actions(s).Any(a => a.StartsWith("s3:", StringComparison.Ordinal)));

        Assert.True(JsonNode.DeepEquals(Assert.Single(task), Assert.Single(reads)));
    }

    // --- The GitHub deploy roles -------------------------------------------------------------------------------------

    [Fact]
    public void The_lambda_deploy_role_trusts_exactly_its_github_environment_as_the_ecs_one_does()
    {
        Assert.Empty(TrustProblems(_template, _infrastructure));
    }

    [Theory]
    [InlineData(":sub: !Sub \"repo:${GitHubRepository}:environment:${EnvironmentName}\"", ":sub: !Sub \"repo:${GitHubRepository}:ref:refs/heads/main\"")]
    [InlineData("              StringEquals:\n                token.actions.githubusercontent.com:aud", "              StringLike:\n                token.actions.githubusercontent.com:aud")]
    public void A_deploy_role_trusted_beyond_its_environment_is_caught(string good, string bad)
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.LambdaTemplate, t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        Assert.NotEmpty(TrustProblems(CloudFormation.Load(broken), _infrastructure));
    }

    [Fact]
    public void The_lambda_deploy_role_releases_its_own_function_only_and_never_moves_live()
    {
        Assert.Empty(LambdaDeployRoleProblems(_template));
    }

    [Theory]
    [InlineData("!Sub \"${Function.Arn}:candidate\"]", "!Sub \"${Function.Arn}:live\"]", "live")]
    [InlineData("Action: [codedeploy:CreateDeployment, codedeploy:GetDeployment, codedeploy:StopDeployment]", "Action: [codedeploy:CreateDeployment, codedeploy:GetDeployment, codedeploy:StopDeployment, codedeploy:DeleteDeploymentGroup]", "codedeploy:DeleteDeploymentGroup")]
    [InlineData("deploymentgroup:${Application}/${DeploymentGroup}\"", "deploymentgroup:detector-*\"", "deployment group")]
    public void A_lambda_deploy_role_with_more_power_is_caught(string good, string bad, string expected)
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.LambdaTemplate, t => DeliveryFiles.ReplaceFirst(t, good, bad), _directory);

        Assert.Contains(LambdaDeployRoleProblems(CloudFormation.Load(broken)), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Each_release_role_may_reconfigure_the_validator_and_no_other_function()
    {
        foreach (var template in new[] { _infrastructure, _template })
        {
            var validator = CloudFormationTests.Statements(Properties(template, "DeployRole")).Single(s => (string?)s["Sid"] == "PointTheValidatorAtThisRelease");

            Assert.Equal(["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionConfiguration"], CloudFormationTests.Actions(validator));
            Assert.Equal("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${ValidatorFunctionName}", (string)validator["Resource"]!["Fn::Sub"]!);
            Assert.Equal(ValidatorName, (string)template["Parameters"]!["ValidatorFunctionName"]!["Default"]!);
        }

        var ecsLambdaActions = CloudFormationTests.Statements(Properties(_infrastructure, "DeployRole")).SelectMany(CloudFormationTests.Actions).Where(a => a.StartsWith("lambda:", StringComparison.Ordinal));
        Assert.Equal(["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:UpdateFunctionConfiguration"], ecsLambdaActions);
    }

    // --- The shared stack --------------------------------------------------------------------------------------------

    [Fact]
    public void The_lambda_repository_is_kept_like_the_ecs_one_and_lets_lambda_pull_for_this_products_functions_only()
    {
        var lambda = Properties(_shared, "LambdaRepository");
        var ecs = Properties(_shared, "Repository");
        var pull = Assert.Single(lambda["RepositoryPolicyText"]!["Statement"]!.AsArray())!;
        var push = CloudFormationTests.Statements(Properties(_shared, "BuildRole")).Single(s => CloudFormationTests.Actions(s).Contains("ecr:PutImage"));
        var outputs = _shared["Outputs"]!;

        Assert.Equal("detector-lambda", (string)lambda["RepositoryName"]!);
        Assert.All(new[] { "ImageTagMutability", "ImageScanningConfiguration", "LifecyclePolicy" }, key => Assert.True(JsonNode.DeepEquals(ecs[key], lambda[key]), key));
        Assert.Equal("lambda.amazonaws.com", (string)pull["Principal"]!["Service"]!);
        Assert.Equal(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], CloudFormationTests.Actions(pull));
        Assert.EndsWith(":function:detector-*", (string)pull["Condition"]!["StringLike"]!["aws:sourceArn"]!["Fn::Sub"]!, StringComparison.Ordinal);
        Assert.Equal(["Repository", "LambdaRepository"], push["Resource"]!.AsArray().Select(GetAttResource));
        Assert.Equal("LambdaRepository", GetAttResource(outputs["LambdaRepositoryUri"]!["Value"]));
        Assert.Equal("${AWS::StackName}-LambdaRepositoryArn", (string)outputs["LambdaRepositoryArn"]!["Export"]!["Name"]!["Fn::Sub"]!);
        Assert.All(new[] { _validator, _template }, t => Assert.Contains("/detector-lambda@sha256:", (string)t["Parameters"]!["ImageUri"]!["AllowedPattern"]!, StringComparison.Ordinal));
        Assert.Contains("push-image.sh \"$REGISTRY\" detector-lambda ", File.ReadAllText(LambdaWorkflow), StringComparison.Ordinal);
    }

    // --- Names that must agree ---------------------------------------------------------------------------------------

    [Fact]
    public void The_validator_has_one_name_everywhere_a_release_refers_to_it()
    {
        var names = ValidatorNames(DeliveryFiles.LambdaAppSpec);

        Assert.Equal(9, names.Count);
        Assert.All(names, n => Assert.True(n.Value == ValidatorName, $"{n.Key} is '{n.Value}', not '{ValidatorName}'."));
    }

    [Fact]
    public void A_hook_renamed_in_the_lambda_appspec_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(DeliveryFiles.LambdaAppSpec, t => DeliveryFiles.ReplaceFirst(t, "BeforeAllowTraffic: \"detector-deploy-validator\"", "BeforeAllowTraffic: \"detector-validator\""), _directory);

        var renamed = ValidatorNames(broken).Where(n => n.Value != ValidatorName).Select(n => n.Key);

        Assert.Equal(["deploy/lambda/appspec.yaml BeforeAllowTraffic"], renamed);
    }

    [Fact]
    public void The_aliases_have_the_same_names_in_the_stack_the_appspec_the_role_and_the_workflow()
    {
        var appSpec = CloudFormation.Load(DeliveryFiles.LambdaAppSpec);
        var jobEnvironment = WorkflowSteps.JobEnvironment(LambdaWorkflow, "release");
        var updateAlias = CloudFormationTests.Statements(Properties(_template, "DeployRole")).Single(s => CloudFormationTests.Actions(s).Contains("lambda:UpdateAlias"));
        var live = (string)Properties(_template, "LiveAlias")["Name"]!;
        var candidate = (string)Properties(_template, "CandidateAlias")["Name"]!;

        Assert.Equal(live, (string)appSpec["Resources"]![0]!.AsObject().Single().Value!["Properties"]!["Alias"]!);
        Assert.Equal(live, (string)jobEnvironment["LIVE_ALIAS"]!);
        Assert.Equal(candidate, (string)jobEnvironment["CANDIDATE_ALIAS"]!);
        Assert.Contains(updateAlias["Resource"]!.AsArray(), r => (string?)r!["Fn::Sub"] == "${Function.Arn}:" + candidate);
    }

    // --- The workflows -----------------------------------------------------------------------------------------------

    [Fact]
    public void The_lambda_release_uses_oidc_the_shared_release_queue_and_the_same_pinned_actions()
    {
        var workflow = CloudFormation.Load(LambdaWorkflow);
        var jobs = workflow["jobs"]!;
        var uses = Uses(LambdaWorkflow).ToArray();
        var elsewhere = DeliveryFiles.Workflows.Where(f => f != LambdaWorkflow).SelectMany(Uses).ToHashSet(StringComparer.Ordinal);
        var inputs = workflow["on"]!["workflow_dispatch"]!["inputs"]!;

        Assert.Equal("write", (string)workflow["permissions"]!["id-token"]!);
        foreach (var release in new[] { "deploy-environment.yml", "deploy-lambda.yml" })
        {
            var concurrency = CloudFormation.Load(DeliveryFiles.Workflow(release))["jobs"]!["release"]!["concurrency"]!;
            Assert.Equal("detector-releases", (string)concurrency["group"]!);
            Assert.Equal("false", (string)concurrency["cancel-in-progress"]!);
        }

        Assert.NotEmpty(uses);
        Assert.All(uses, u => Assert.Contains(u, elsewhere));
        Assert.Null(jobs["image"]!["environment"]);
        Assert.Equal("${{ vars.AWS_BUILD_ROLE_ARN }}", RoleToAssume(jobs["image"]!));
        Assert.Equal("${{ inputs.environment }}", (string)jobs["release"]!["environment"]!);
        Assert.Equal("${{ vars.LAMBDA_DEPLOY_ROLE_ARN }}", RoleToAssume(jobs["release"]!));
        Assert.Equal(["staging", "production"], inputs["environment"]!["options"]!.AsArray().Select(o => (string)o!));
        Assert.Equal("boolean", (string)inputs["push-only"]!["type"]!);
        Assert.Equal("${{ !inputs.push-only }}", (string)jobs["release"]!["if"]!);
    }

    [Fact]
    public void Each_release_points_the_validator_at_what_it_releases_before_codedeploy_calls_it()
    {
        var ecs = StepNames(DeliveryFiles.Workflow("deploy-environment.yml"), "release");
        var lambda = StepNames(LambdaWorkflow, "release");

        Assert.True(ecs.IndexOf("Point the validator at this release") < ecs.IndexOf("Blue/green release through CodeDeploy"));
        Assert.True(lambda.IndexOf("Publish a version and point the candidate alias at it") < lambda.IndexOf("Point the validator at this release"));
        Assert.True(lambda.IndexOf("Point the validator at this release") < lambda.IndexOf("Canary release through CodeDeploy"));
        Assert.Equal("${{ vars.TEST_URL }}", StepEnvironment(DeliveryFiles.Workflow("deploy-environment.yml"), "release", "Point the validator at this release")["TARGET_URL"]);
        Assert.Equal("${{ vars.LAMBDA_CANDIDATE_URL }}", StepEnvironment(LambdaWorkflow, "release", "Point the validator at this release")["TARGET_URL"]);
        Assert.Equal(WorkflowSteps.Script(DeliveryFiles.Workflow("deploy-environment.yml"), "release", "Point the validator at this release"), WorkflowSteps.Script(LambdaWorkflow, "release", "Point the validator at this release"));
        Assert.EndsWith($":{Int(Properties(_infrastructure, "TestListener")["Port"])}", (string)_infrastructure["Outputs"]!["TestUrl"]!["Value"]!["Fn::Sub"]!, StringComparison.Ordinal);
        Assert.Equal("CandidateUrl", GetAttResource(_template["Outputs"]!["CandidateUrl"]!["Value"]));
    }

    [Fact]
    public void No_script_of_the_lambda_release_expands_an_expression_itself()
    {
        Assert.Empty(ExpressionsInScripts(LambdaWorkflow));
    }

    [Fact]
    public void An_input_expanded_inside_a_script_is_caught()
    {
        var broken = DeliveryFiles.BrokenCopy(LambdaWorkflow, t => DeliveryFiles.ReplaceFirst(t, "model=\"$REQUESTED\"", "model=\"${{ inputs.model }}\""), _directory);

        Assert.Equal(["release / Choose the model"], ExpressionsInScripts(broken));
    }

    [Fact]
    public void Every_lambda_variable_in_the_readme_names_an_output_of_the_lambda_stack()
    {
        var readme = File.ReadAllText(Path.Combine(DeliveryFiles.Root, "README.md"));
        var pairs = ReadmeOutputs(readme).Where(p => p.Variable.StartsWith("LAMBDA_", StringComparison.Ordinal)).ToArray();
        var used = WorkflowVariable().Matches(File.ReadAllText(LambdaWorkflow)).Select(m => m.Groups[1].Value).Where(v => v.StartsWith("LAMBDA_", StringComparison.Ordinal)).Distinct();
        var outputs = _template["Outputs"]!.AsObject().Select(o => o.Key).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(used.Order(), pairs.Select(p => p.Variable).Order());
        Assert.All(pairs, p => Assert.True(outputs.Contains(p.Output), $"{p.Variable}: deploy/lambda/template.yaml has no output {p.Output}."));
        Assert.Contains(ReadmeOutputs(readme), p => p is { Variable: "TEST_URL", Output: "TestUrl" });
    }

    // --- The workflow's scripts, run here with stand-ins for aws and inference --------------------------------------

    [SkippableTheory]
    [MemberData(nameof(ValidatorSteps))]
    public async Task Pointing_the_validator_keeps_its_settings_and_adds_the_target_and_the_expected_model(string workflow)
    {
        var path = DeliveryFiles.Workflow(workflow);

        Assert.Empty(await ValidatorStepProblemsAsync(path, WorkflowSteps.Script(path, "release", "Point the validator at this release")));
    }

    [SkippableFact]
    public async Task A_validator_step_that_drops_the_validators_own_settings_is_caught()
    {
        var script = DeliveryFiles.ReplaceFirst(WorkflowSteps.Script(LambdaWorkflow, "release", "Point the validator at this release"), "(($current // {}) + {", "({");

        var problems = await ValidatorStepProblemsAsync(LambdaWorkflow, script);

        Assert.Contains(problems, p => p.StartsWith("VALIDATOR_REQUESTS", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_model_without_a_sha256_never_reaches_the_validator()
    {
        using var steps = new WorkflowSteps();
        steps.FunctionEnvironment(ValidatorName, new JsonObject { ["VALIDATOR_REQUESTS"] = "20" });
        steps.ModelShown(ShownModel(sha256: null));

        var (exitCode, output) = await steps.RunAsync(
            WorkflowSteps.Script(LambdaWorkflow, "release", "Point the validator at this release"),
            ReleaseEnvironment(LambdaWorkflow, ("MODEL", "shapes@3"), ("TARGET_URL", "https://candidate.lambda-url.us-east-1.on.aws/")));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("SHA-256", output, StringComparison.Ordinal);
        Assert.DoesNotContain(steps.Calls, c => c.Contains("update-function-configuration", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Releasing_puts_the_image_and_the_pin_on_the_function_over_its_own_settings()
    {
        Assert.Empty(await FunctionUpdateProblemsAsync(WorkflowSteps.Script(LambdaWorkflow, "release", "Put the image and the model pin on the function")));
    }

    [SkippableFact]
    public async Task A_release_that_replaces_the_functions_settings_with_the_pin_is_caught()
    {
        var script = DeliveryFiles.ReplaceFirst(WorkflowSteps.Script(LambdaWorkflow, "release", "Put the image and the model pin on the function"), "(($current // {}) + $pin.environment)", "$pin.environment");

        Assert.Contains(await FunctionUpdateProblemsAsync(script), p => p.StartsWith("Model__CacheDirectory", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_workflow_fills_every_placeholder_of_the_lambda_appspec()
    {
        using var steps = new WorkflowSteps();

        var (exitCode, output) = await RenderAppSpecAsync(steps, WorkflowSteps.Script(LambdaWorkflow, "release", "Render the appspec"));

        Assert.True(exitCode == 0, output);
        Assert.Equal(3, Placeholder().Count(File.ReadAllText(DeliveryFiles.LambdaAppSpec)));
        var revision = JsonNode.Parse(File.ReadAllText(Path.Combine(steps.RunnerTemp, "revision.json")))!;
        var content = (string)revision["appSpecContent"]!["content"]!;
        Assert.Equal("AppSpecContent", (string)revision["revisionType"]!);
        Assert.DoesNotMatch(Placeholder(), content);
        var rendered = Path.Combine(_directory, "appspec.yaml");
        await File.WriteAllTextAsync(rendered, content);
        var properties = CloudFormation.Load(rendered)["Resources"]![0]!.AsObject().Single().Value!["Properties"]!;
        Assert.Equal("AWS::Lambda::Function", (string)CloudFormation.Load(rendered)["Resources"]![0]!.AsObject().Single().Value!["Type"]!);
        Assert.Equal(("detector-light-staging", "live", "3", "4"), ((string)properties["Name"]!, (string)properties["Alias"]!, (string)properties["CurrentVersion"]!, (string)properties["TargetVersion"]!));
    }

    [SkippableFact]
    public async Task A_placeholder_the_workflow_forgets_is_caught()
    {
        using var steps = new WorkflowSteps();
        var script = DeliveryFiles.ReplaceFirst(WorkflowSteps.Script(LambdaWorkflow, "release", "Render the appspec"), " \\\n  \"TARGET_VERSION=$TARGET_VERSION\"", string.Empty);

        var (exitCode, output) = await RenderAppSpecAsync(steps, script);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("<TARGET_VERSION>", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(steps.RunnerTemp, "revision.json")));
    }

    [SkippableFact]
    public async Task The_codedeploy_call_passes_the_aws_cli_parameter_check()
    {
        using var steps = new WorkflowSteps { RealAws = Tool.Aws() };

        var (exitCode, output) = await RenderAndDeployAsync(steps, WorkflowSteps.Script(LambdaWorkflow, "release", "Render the appspec"));

        Assert.True(exitCode == 0, output);
        Assert.Contains(steps.Calls, c => c.StartsWith("aws deploy create-deployment --application-name detector-light-staging --deployment-group-name detector-light --revision file://", StringComparison.Ordinal));
        Assert.Equal("aws deploy wait deployment-successful --deployment-id d-TESTDEPLOY", steps.Calls[^1]);
    }

    [SkippableFact]
    public async Task A_revision_in_a_shape_codedeploy_does_not_take_is_caught()
    {
        using var steps = new WorkflowSteps { RealAws = Tool.Aws() };
        var script = DeliveryFiles.ReplaceFirst(WorkflowSteps.Script(LambdaWorkflow, "release", "Render the appspec"), "appSpecContent: {content: $content}", "appSpecContent: {contents: $content}");

        var (exitCode, output) = await RenderAndDeployAsync(steps, script);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("\"contents\"", output, StringComparison.Ordinal);
    }

    // --- Checks, each returning sentences so a test shows every problem at once -------------------------------------

    /// <summary>Where Dockerfile.lambda departs from the package's contract or from how the provided runtime starts it.</summary>
    public static IReadOnlyList<string> LambdaImageProblems(string dockerfile)
    {
        var lines = dockerfile.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        var stages = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToArray();
        var output = PublishCommand[(PublishCommand.LastIndexOf(" -o ", StringComparison.Ordinal) + 4)..];
        var copies = lines.Where(l => l.StartsWith("COPY --from=build ", StringComparison.Ordinal)).ToArray();
        var command = lines.LastOrDefault(l => l.StartsWith("CMD", StringComparison.Ordinal));
        var problems = new List<string>();

        if (stages.FirstOrDefault() != "FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build")
        {
            problems.Add("The build stage must be 'FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build'.");
        }

        if (stages.LastOrDefault() != "FROM public.ecr.aws/lambda/provided:al2023")
        {
            problems.Add("The image must be FROM public.ecr.aws/lambda/provided:al2023, the custom runtime the package is built for.");
        }

        if (!lines.Contains($"RUN {PublishCommand}"))
        {
            problems.Add($"The build stage must publish exactly as the package's contract says: {PublishCommand}");
        }

        if (copies is not [var copy] || copy.Split(' ') is not [_, _, var source, var target] || source.TrimEnd('/') != output || !IsRuntimeDirectory(target))
        {
            problems.Add($"The whole publish output ({output}: 'bootstrap' and the assemblies it loads from its own directory) must go to /var/runtime, where the base image's entrypoint starts bootstrap: {string.Join(" | ", copies)}");
        }

        if (lines.Any(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)))
        {
            problems.Add("No ENTRYPOINT: the base image's own sets _HANDLER from the command, then starts bootstrap.");
        }

        if (ExecForm(command) is not [var handler] || !Handlers.Contains(handler))
        {
            problems.Add($"The command must be one handler of the package ({string.Join(" or ", Handlers)}), in exec form: '{command}'.");
        }

        return problems;
    }

    /// <summary>The validator role's own permission is reporting verdicts of this product's hooks, and nothing more.</summary>
    public static IReadOnlyList<string> ValidatorRoleProblems(JsonObject validator)
    {
        const string Report = "codedeploy:PutLifecycleEventHookExecutionStatus";
        const string Groups = "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:detector-*";
        const string VpcAccess = "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole";
        var role = Properties(validator, "Role");
        var statements = CloudFormationTests.Statements(role).ToArray();
        var problems = new List<string>();

        foreach (var action in statements.SelectMany(CloudFormationTests.Actions).Where(a => a != Report && !a.StartsWith("logs:", StringComparison.Ordinal)))
        {
            problems.Add($"The validator may {action}: its own permission is to report hook verdicts only.");
        }

        var reporting = statements.Where(s => CloudFormationTests.Actions(s).Contains(Report)).ToArray();
        if (reporting.Length == 0)
        {
            problems.Add($"The validator may not {Report}.");
        }

        foreach (var statement in reporting.Where(s => CloudFormation.AsList(s["Resource"]).Any(r => (string?)r?["Fn::Sub"] != Groups)))
        {
            problems.Add($"The validator reports verdicts on deployment groups other than this product's ({Groups}): {statement["Resource"]!.ToJsonString()}");
        }

        foreach (var managed in (role["ManagedPolicyArns"]?.AsArray() ?? []).Select(m => (string?)m?["Fn::Sub"] ?? m!.ToJsonString()).Where(m => m != VpcAccess))
        {
            problems.Add($"The validator holds the managed policy {managed}; it needs {VpcAccess} only (network interfaces and logs).");
        }

        return problems;
    }

    /// <summary>
    /// Function URL permissions: a public one (principal "*") only when the stack chose public URLs, and then either
    /// lambda:InvokeFunctionUrl for URL calls without auth or lambda:InvokeFunction limited to calls through the URL;
    /// with signed URLs, only the validator's role and only on the candidate alias.
    /// </summary>
    public static IReadOnlyList<string> UrlPermissionProblems(JsonObject template)
    {
        var problems = new List<string>();
        foreach (var (name, _, properties) in CloudFormation.Resources(template).Where(r => r.Type == "AWS::Lambda::Permission"))
        {
            var condition = (string?)template["Resources"]![name]!["Condition"];
            var action = (string)properties["Action"]!;
            var throughUrl = action == "lambda:InvokeFunctionUrl" ? (string?)properties["FunctionUrlAuthType"] is "NONE" or "AWS_IAM" : (string?)properties["InvokedViaFunctionUrl"] == "true";
            var expectedAuth = condition == "PublicUrls" ? "NONE" : "AWS_IAM";
            if (condition is not ("PublicUrls" or "SignedUrls"))
            {
                problems.Add($"{name} exists whatever FunctionUrlAuthType says.");
            }

            if (action is not ("lambda:InvokeFunctionUrl" or "lambda:InvokeFunction") || !throughUrl)
            {
                problems.Add($"{name} grants {action} beyond calls through a Function URL.");
            }

            if (action == "lambda:InvokeFunctionUrl" && (string?)properties["FunctionUrlAuthType"] != expectedAuth)
            {
                problems.Add($"{name} grants URL calls with auth {(string?)properties["FunctionUrlAuthType"]} under {condition}.");
            }

            if ((properties["Principal"] is JsonValue && (string?)properties["Principal"] == "*") != (condition == "PublicUrls"))
            {
                problems.Add($"{name}: only the PublicUrls condition may grant to '*'.");
            }

            if (condition == "SignedUrls" && ((string?)properties["FunctionName"]?["Ref"] != "CandidateAlias" || !((string?)properties["Principal"]?["Fn::Sub"] ?? string.Empty).EndsWith(":role/${ValidatorFunctionName}", StringComparison.Ordinal)))
            {
                problems.Add($"{name}: with signed URLs, only the validator's role is granted, and only the candidate alias.");
            }
        }

        return problems;
    }

    /// <summary>
    /// The Lambda deploy role is assumed by GitHub jobs of its own environment only (required reviewers gate production),
    /// exactly as the ECS deploy role of the same environment is.
    /// </summary>
    public static IReadOnlyList<string> TrustProblems(JsonObject template, JsonObject infrastructure)
    {
        var trust = Properties(template, "DeployRole")["AssumeRolePolicyDocument"]!;
        var statements = trust["Statement"]!.AsArray();
        var subject = (string?)statements.SingleOrDefault()?["Condition"]?["StringEquals"]?["token.actions.githubusercontent.com:sub"]?["Fn::Sub"];
        var problems = new List<string>();
        if (subject != "repo:${GitHubRepository}:environment:${EnvironmentName}")
        {
            problems.Add($"The deploy role must trust exactly 'repo:${{GitHubRepository}}:environment:${{EnvironmentName}}' (StringEquals), not {trust.ToJsonString()}.");
        }

        if (!JsonNode.DeepEquals(Properties(infrastructure, "DeployRole")["AssumeRolePolicyDocument"], trust))
        {
            problems.Add("The Lambda deploy role is trusted differently from the ECS deploy role of the same environment.");
        }

        return problems;
    }

    /// <summary>The Lambda deploy role releases its own function and group, moves the candidate alias only, and nothing else.</summary>
    public static IReadOnlyList<string> LambdaDeployRoleProblems(JsonObject template)
    {
        string[] allowed =
        [
            "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion", "lambda:GetFunction",
            "lambda:GetFunctionConfiguration", "lambda:GetAlias", "lambda:UpdateAlias", "codedeploy:CreateDeployment",
            "codedeploy:GetDeployment", "codedeploy:StopDeployment", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision",
            "codedeploy:GetDeploymentConfig", "secretsmanager:GetSecretValue", "sns:Publish",
        ];
        var statements = CloudFormationTests.Statements(Properties(template, "DeployRole")).ToArray();
        var problems = new List<string>();

        foreach (var action in statements.SelectMany(CloudFormationTests.Actions).Except(allowed, StringComparer.Ordinal))
        {
            problems.Add($"The deploy role may {action}, which a Lambda release does not need.");
        }

        foreach (var statement in statements)
        {
            var resources = CloudFormation.AsList(statement["Resource"]).Select(r => r!.ToJsonString()).ToArray();
            if (resources.Any(r => r.Contains(":live", StringComparison.Ordinal)))
            {
                problems.Add($"The deploy role names the live alias ({string.Join(", ", resources)}): CodeDeploy moves live.");
            }

            if (CloudFormationTests.Actions(statement).Any(a => a.StartsWith("codedeploy:", StringComparison.Ordinal)) && resources.Any(r => !r.Contains("${Application}", StringComparison.Ordinal) && !r.Contains(":deploymentconfig:CodeDeployDefault.Lambda", StringComparison.Ordinal)))
            {
                problems.Add($"The deploy role reaches CodeDeploy beyond its own application, deployment group and deployment config: {string.Join(", ", resources)}");
            }
        }

        var updateAlias = statements.Where(s => CloudFormationTests.Actions(s).Contains("lambda:UpdateAlias")).SelectMany(s => CloudFormation.AsList(s["Resource"])).ToArray();
        if (!updateAlias.Any(r => (string?)r?["Fn::Sub"] == "${Function.Arn}:candidate"))
        {
            problems.Add("The deploy role cannot point the candidate alias.");
        }

        return problems;
    }

    /// <summary>Imports the shared stack does not export: the stack would fail to create.</summary>
    public static IReadOnlyList<string> ImportProblems(JsonObject template, JsonObject shared)
    {
        var exported = CloudFormation.Exports(shared, "SharedStackName");
        return CloudFormation.Imports(template).Where(name => !exported.Contains(name)).Select(name => $"Imports {name}, which deploy/shared.yaml does not export.").ToArray();
    }

    /// <summary>Every place that names the validator, and the name it uses there.</summary>
    private Dictionary<string, string> ValidatorNames(string lambdaAppSpec)
    {
        var validatorFunction = Properties(_validator, "Function");
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["deploy/lambda/validator.yaml FunctionName"] = (string)validatorFunction["FunctionName"]!,
            ["deploy/lambda/validator.yaml RoleName (the principal template.yaml grants)"] = (string)Properties(_validator, "Role")["RoleName"]!,
            ["deploy/lambda/validator.yaml LogGroupName"] = ((string)Properties(_validator, "LogGroup")["LogGroupName"]!).Replace("/aws/lambda/", string.Empty, StringComparison.Ordinal),
            ["deploy/appspec.yaml AfterAllowTestTraffic"] = Hook(DeliveryFiles.AppSpec, "AfterAllowTestTraffic"),
            ["deploy/lambda/appspec.yaml BeforeAllowTraffic"] = Hook(lambdaAppSpec, "BeforeAllowTraffic"),
            ["deploy/infrastructure.yaml ValidatorFunctionName"] = (string)_infrastructure["Parameters"]!["ValidatorFunctionName"]!["Default"]!,
            ["deploy/lambda/template.yaml ValidatorFunctionName"] = (string)_template["Parameters"]!["ValidatorFunctionName"]!["Default"]!,
            ["deploy-environment.yml VALIDATOR_FUNCTION"] = (string)WorkflowSteps.JobEnvironment(DeliveryFiles.Workflow("deploy-environment.yml"), "release")["VALIDATOR_FUNCTION"]!,
            ["deploy-lambda.yml VALIDATOR_FUNCTION"] = (string)WorkflowSteps.JobEnvironment(LambdaWorkflow, "release")["VALIDATOR_FUNCTION"]!,
        };
    }

    /// <summary>Runs the validator step with the validator's defaults in place; what it sent, against what it should have.</summary>
    private static async Task<IReadOnlyList<string>> ValidatorStepProblemsAsync(string workflow, string script)
    {
        using var steps = new WorkflowSteps();
        var defaults = Variables(Properties(CloudFormation.Load(DeliveryFiles.ValidatorTemplate), "Function"));
        steps.FunctionEnvironment(ValidatorName, new JsonObject(defaults.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value)).Append(KeyValuePair.Create("VALIDATOR_TARGET_URL", (JsonNode?)"http://previous-release:9000"))));
        steps.ModelShown(ShownModel(sha256: new string('a', 64)));

        var (exitCode, output) = await steps.RunAsync(script, ReleaseEnvironment(workflow, ("MODEL", "shapes@3"), ("TARGET_URL", "http://internal-detector.us-east-1.elb.amazonaws.com:9000/")));
        if (exitCode != 0)
        {
            return [$"The step failed: {output}"];
        }

        var expected = new Dictionary<string, string>(defaults, StringComparer.Ordinal)
        {
            ["VALIDATOR_TARGET_URL"] = "http://internal-detector.us-east-1.elb.amazonaws.com:9000",
            ["VALIDATOR_EXPECTED_MODEL_NAME"] = "shapes",
            ["VALIDATOR_EXPECTED_MODEL_VERSION"] = "3",
            ["VALIDATOR_EXPECTED_MODEL_SHA256"] = new string('a', 64),
        };
        var problems = Differences(expected, steps.Sent("lambda", "update-function-configuration", ValidatorName)?["Variables"]);
        var update = steps.Calls.ToList().FindIndex(c => c.StartsWith($"aws lambda update-function-configuration --function-name {ValidatorName} ", StringComparison.Ordinal));
        var wait = steps.Calls.ToList().FindIndex(c => c == $"aws lambda wait function-updated-v2 --function-name {ValidatorName}");
        if (update < 0 || wait < update)
        {
            problems.Add($"The step does not wait for the validator's update to finish: {string.Join(" | ", steps.Calls)}");
        }

        return problems;
    }

    /// <summary>Runs the function update step on the stack's own settings; what it sent, against the settings plus the pin.</summary>
    private static async Task<IReadOnlyList<string>> FunctionUpdateProblemsAsync(string script)
    {
        using var steps = new WorkflowSteps();
        const string Function = "detector-light-staging";
        const string Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/detector-lambda@sha256:0000000000000000000000000000000000000000000000000000000000000000";
        var settings = Variables(Properties(CloudFormation.Load(DeliveryFiles.LambdaTemplate), "Function"));
        steps.FunctionEnvironment(Function, new JsonObject(settings.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))));
        steps.ModelShown(ShownModel(sha256: new string('a', 64)));

        var (exitCode, output) = await steps.RunAsync(script, ReleaseEnvironment(LambdaWorkflow, ("FUNCTION", Function), ("MODEL", "shapes@3"), ("IMAGE", Image)));
        if (exitCode != 0)
        {
            return [$"The step failed: {output}"];
        }

        var expected = new Dictionary<string, string>(settings, StringComparer.Ordinal);
        foreach (var (key, value) in Model(new string('a', 64)).Artifact.Environment)
        {
            expected[key] = value;
        }

        var problems = Differences(expected, steps.Sent("lambda", "update-function-configuration", Function)?["Variables"]);
        var calls = steps.Calls.ToList();
        var code = calls.FindIndex(c => c == $"aws lambda update-function-code --function-name {Function} --image-uri {Image}");
        var configuration = calls.FindIndex(c => c.StartsWith($"aws lambda update-function-configuration --function-name {Function} ", StringComparison.Ordinal));
        if (code < 0 || configuration < code || calls.Count(c => c == $"aws lambda wait function-updated-v2 --function-name {Function}") != 2 || calls[^1] != $"aws lambda wait function-updated-v2 --function-name {Function}")
        {
            problems.Add($"The step must put the image, wait, then the settings, and wait again: {string.Join(" | ", calls)}");
        }

        return problems;
    }

    private static Task<(int ExitCode, string Output)> RenderAppSpecAsync(WorkflowSteps steps, string script) =>
        steps.RunAsync(script, ReleaseEnvironment(LambdaWorkflow, ("FUNCTION", "detector-light-staging"), ("CURRENT_VERSION", "3"), ("TARGET_VERSION", "4")));

    // The appspec rendered, then the CodeDeploy step, as the release runs them one after the other.
    private static async Task<(int ExitCode, string Output)> RenderAndDeployAsync(WorkflowSteps steps, string render)
    {
        var rendered = await RenderAppSpecAsync(steps, render);
        if (rendered.ExitCode != 0)
        {
            return rendered;
        }

        return await steps.RunAsync(
            WorkflowSteps.Script(LambdaWorkflow, "release", "Canary release through CodeDeploy"),
            ReleaseEnvironment(LambdaWorkflow, ("APPLICATION", "detector-light-staging"), ("DEPLOYMENT_GROUP", "detector-light"), ("MODEL", "shapes@3")));
    }

    // --- Small readers -----------------------------------------------------------------------------------------------

    private static CfnSpec Spec() => new(Tool.Require(DeliveryFiles.CfnSpec, "run 'npm ci' in tools/delivery-lint (scripts/test.sh does)."));

    private static string TemplatePath(string file) => Path.Combine(DeliveryFiles.Root, "deploy", "lambda", file);

    private static JsonObject LoadTemplate(string file) => CloudFormation.Load(TemplatePath(file));

    private static JsonObject Properties(JsonObject template, string resource) => template["Resources"]![resource]!["Properties"]!.AsObject();

    private static Dictionary<string, string> Variables(JsonObject function) =>
        function["Environment"]!["Variables"]!.AsObject().ToDictionary(v => v.Key, v => (string)v.Value!, StringComparer.Ordinal);

    // YAML scalars arrive as strings (CloudFormation accepts both "300" and 300).
    private static int Int(JsonNode? node) => int.Parse(node!.ToString(), System.Globalization.CultureInfo.InvariantCulture);

    // The resource of an Fn::GetAtt, short form ("Name.Attribute") or long ([Name, Attribute]).
    private static string GetAttResource(JsonNode? node) =>
        node!["Fn::GetAtt"] is JsonArray parts ? (string)parts[0]! : ((string)node["Fn::GetAtt"]!).Split('.')[0];

    // A literal or a !Sub string, as written.
    private static string Text(JsonNode node) => node is JsonValue ? (string)node! : (string)node["Fn::Sub"]!;

    private static string Hook(string appSpec, string hook) =>
        CloudFormation.Load(appSpec)["Hooks"]!.AsArray().Select(h => (string?)h![hook]).Single(h => h is not null)!;

    private static bool IsRuntimeDirectory(string path) => path.TrimEnd('/') is "${LAMBDA_RUNTIME_DIR}" or "$LAMBDA_RUNTIME_DIR" or "/var/runtime";

    private static string[]? ExecForm(string? instruction)
    {
        try
        {
            return instruction is null ? null : JsonSerializer.Deserialize<string[]>(instruction[3..].Trim());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The variables of the image's ENV instructions (continuation lines joined).</summary>
    private static Dictionary<string, string> ImageEnvironment(string dockerfile) =>
        EnvInstruction().Matches(dockerfile.Replace("\\\n", " ", StringComparison.Ordinal))
            .SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);

    private static IEnumerable<string> Uses(string workflow) =>
        File.ReadLines(workflow).Select(l => l.Trim()).Where(l => l.StartsWith("- uses:", StringComparison.Ordinal) || l.StartsWith("uses:", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("uses:", StringComparison.Ordinal) + 5)..].Trim());

    private static string RoleToAssume(JsonNode job) =>
        job["steps"]!.AsArray().Select(s => (string?)s!["with"]?["role-to-assume"]).Single(r => r is not null)!;

    private static List<string> StepNames(string workflow, string job) =>
        CloudFormation.Load(workflow)["jobs"]![job]!["steps"]!.AsArray().Select(s => (string?)s!["name"] ?? string.Empty).ToList();

    private static Dictionary<string, string> StepEnvironment(string workflow, string job, string step) =>
        CloudFormation.Load(workflow)["jobs"]![job]!["steps"]!.AsArray().Single(s => (string?)s!["name"] == step)!["env"]!.AsObject()
            .ToDictionary(e => e.Key, e => (string)e.Value!, StringComparer.Ordinal);

    /// <summary>Steps whose script contains ${{ … }}: GitHub pastes the value into the script before bash reads it.</summary>
    private static List<string> ExpressionsInScripts(string workflow) =>
        CloudFormation.Load(workflow)["jobs"]!.AsObject()
            .SelectMany(job => job.Value!["steps"]!.AsArray().Where(s => ((string?)s!["run"])?.Contains("${{", StringComparison.Ordinal) == true)
                .Select(s => $"{job.Key} / {(string?)s!["name"]}"))
            .ToList();

    /// <summary>The variables a release job sets for every step, literal values only, plus the given ones.</summary>
    private static Dictionary<string, string> ReleaseEnvironment(string workflow, params (string Name, string Value)[] values)
    {
        var environment = WorkflowSteps.JobEnvironment(workflow, "release")
            .Where(e => !((string)e.Value!).Contains("${{", StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => (string)e.Value!, StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            environment[name] = value;
        }

        return environment;
    }

    private static List<string> Differences(Dictionary<string, string> expected, JsonNode? sent)
    {
        if (sent is not JsonObject variables)
        {
            return ["Nothing was sent to update-function-configuration."];
        }

        var problems = expected.Where(e => (string?)variables[e.Key] != e.Value).Select(e => $"{e.Key}: sent '{(string?)variables[e.Key]}', expected '{e.Value}'.").ToList();
        problems.AddRange(variables.Where(v => !expected.ContainsKey(v.Key)).Select(v => $"{v.Key}: sent, but not expected."));
        return problems;
    }

    internal static IEnumerable<(string Variable, string Output)> ReadmeOutputs(string readme) =>
        readme.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .SelectMany(cells => Backticked().Matches(cells[1]).Zip(Backticked().Matches(cells[2]), (v, o) => (v.Groups[1].Value, o.Groups[1].Value)));

    /// <summary>A registered model as 'inference registry model show NAME@VERSION --json' prints it.</summary>
    private static string ShownModel(string? sha256)
    {
        var model = Model(sha256);
        return CliJson.Serialize(new { model, environment = model.Artifact.Environment });
    }

    private static ModelDocument Model(string? sha256) => new()
    {
        Name = "shapes",
        Version = 3,
        Dataset = new DatasetReference("shapes", 1, ObjectId.GenerateNewId()),
        Artifact = new ModelArtifact
        {
            Weights = new PinnedFile("s3://detector-models/models/shapes/3/model.onnx", "weights-version-1", sha256, 1234),
            Manifest = new PinnedFile("s3://detector-models/models/shapes/3/manifest.json", "manifest-version-1"),
            Format = "yolov8",
        },
        Status = ModelStatus.Production,
        ProductionTarget = DeploymentTarget.Lambda,
        CreatedBy = "test",
    };

    [GeneratedRegex(@"<([A-Z][A-Z0-9_]*)>")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^ENV (.+)$", RegexOptions.Multiline)]
    private static partial Regex EnvInstruction();

    [GeneratedRegex(@"\bvars\.([A-Z][A-Z0-9_]*)")]
    private static partial Regex WorkflowVariable();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex Backticked();
}
