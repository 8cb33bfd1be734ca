using System.CommandLine;
using Inference.Registry.Deployments;
using Inference.Registry.Models;
using Inference.Registry.Storage;
using MongoDB.Bson;
using Spectre.Console;

namespace Inference.Cli.Registry;

/// <summary><c>inference registry deployment start|finish|list|current|rollback-target</c>.</summary>
internal static class DeploymentCommands
{
    public static Command Create(RegistryGlobals globals)
    {
        var deployment = new Command("deployment", "The deployment audit trail, and where a rollback goes.");
        deployment.Subcommands.Add(Start(globals));
        deployment.Subcommands.Add(Finish(globals));
        deployment.Subcommands.Add(List(globals));
        deployment.Subcommands.Add(Current(globals));
        deployment.Subcommands.Add(RollbackTarget(globals));
        return deployment;
    }

    private static Option<string> EnvironmentOption(bool required = true) => new("--environment") { Required = required, Description = RegistryNames.All<DeploymentEnvironment>() };

    private static Option<string> TargetOption(bool required = true) => new("--target") { Required = required, Description = RegistryNames.All<DeploymentTarget>() };

    private static Command Start(RegistryGlobals globals)
    {
        var model = new Option<string>("--model") { Required = true, Description = "name@version" };
        var environment = EnvironmentOption();
        var target = TargetOption();
        var strategy = new Option<string>("--strategy") { Required = true, Description = RegistryNames.All<DeploymentStrategy>() };
        var image = new Option<string?>("--image") { Description = "repository@sha256:digest" };
        var taskDefinition = new Option<string?>("--task-definition-arn") { Description = "The ECS task definition the release registered." };
        var lambdaVersion = new Option<string?>("--lambda-version") { Description = "The Lambda version the release published." };
        var lambdaAlias = new Option<string?>("--lambda-alias") { Description = "The Lambda alias the release moves." };
        var codeDeploy = new Option<string?>("--codedeploy-id") { Description = "The CodeDeploy deployment id." };
        var endpointConfig = new Option<string?>("--endpoint-config") { Description = "The SageMaker endpoint configuration the release puts on the endpoint." };
        var commit = new Option<string?>("--commit") { Description = "The commit being released; default GITHUB_SHA." };
        var restores = new Option<string?>("--restores") { Description = "For a rollback: the id of the deployment it puts back ('deployment rollback-target' names it)." };
        var command = new Command("start", "Record a deployment in progress; prints its id. A second one in progress for the same environment and target is refused.")
        {
            model, environment, target, strategy, image, taskDefinition, lambdaVersion, lambdaAlias, codeDeploy, endpointConfig, commit, restores,
        };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var (name, version) = RegistryGlobals.Reference(result.GetValue(model)!);
            var started = await registry.Deployments.StartAsync(
                new DeploymentDocument
                {
                    ModelName = name,
                    ModelVersion = version,
                    Environment = RegistryGlobals.Parse<DeploymentEnvironment>(result.GetValue(environment), "--environment"),
                    Target = RegistryGlobals.Parse<DeploymentTarget>(result.GetValue(target), "--target"),
                    Strategy = RegistryGlobals.Parse<DeploymentStrategy>(result.GetValue(strategy), "--strategy"),
                    Image = result.GetValue(image),
                    TaskDefinitionArn = result.GetValue(taskDefinition),
                    LambdaVersion = result.GetValue(lambdaVersion),
                    LambdaAlias = result.GetValue(lambdaAlias),
                    CodeDeployDeploymentId = result.GetValue(codeDeploy),
                    EndpointConfigName = NullIfEmpty(result.GetValue(endpointConfig)),
                    Commit = result.GetValue(commit) ?? Environment.GetEnvironmentVariable("GITHUB_SHA"),
                    Actor = result.GetValue(globals.Actor)!,
                    RestoresDeploymentId = NullIfEmpty(result.GetValue(restores)) is { } id ? ParseId(id, "--restores") : null,
                },
                cancellationToken).ConfigureAwait(false);
            if (result.GetValue(globals.Json))
            {
                CliOutput.WriteJson(result, started);
            }
            else
            {
                CliOutput.Out(result).WriteLine(started.Id.ToString());
            }

            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Finish(RegistryGlobals globals)
    {
        var id = new Option<string>("--id") { Required = true, Description = "The id 'deployment start' printed." };
        var status = new Option<string>("--status") { Required = true, Description = "succeeded|failed|rolled-back|stopped" };
        var reason = new Option<string?>("--reason") { Description = "Why it ended so, for the audit trail." };
        var taskDefinition = new Option<string?>("--task-definition-arn") { Description = "The task definition the release registered, when known only now." };
        var codeDeploy = new Option<string?>("--codedeploy-id") { Description = "The CodeDeploy deployment id, when known only now." };
        var command = new Command("finish", "Finish a deployment in progress.") { id, status, reason, taskDefinition, codeDeploy };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var finished = await registry.Deployments.FinishAsync(
                result.GetValue(id)!,
                RegistryGlobals.Parse<DeploymentStatus>(result.GetValue(status), "--status"),
                result.GetValue(reason),
                NullIfEmpty(result.GetValue(taskDefinition)),
                NullIfEmpty(result.GetValue(codeDeploy)),
                cancellationToken).ConfigureAwait(false);
            Print(result, globals, [finished], single: true);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command List(RegistryGlobals globals)
    {
        var environment = EnvironmentOption(required: false);
        var target = TargetOption(required: false);
        var limit = new Option<int>("--limit") { DefaultValueFactory = _ => 20, Description = "At most this many, newest first." };
        var status = new Option<string?>("--status") { Description = RegistryNames.All<DeploymentStatus>() };
        var command = new Command("list", "Deployments, newest first.") { environment, target, limit, status };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var deployments = await registry.Deployments.ListAsync(
                RegistryGlobals.ParseOptional<DeploymentEnvironment>(result.GetValue(environment), "--environment"),
                RegistryGlobals.ParseOptional<DeploymentTarget>(result.GetValue(target), "--target"),
                result.GetValue(limit),
                RegistryGlobals.ParseOptional<DeploymentStatus>(result.GetValue(status), "--status"),
                cancellationToken).ConfigureAwait(false);
            Print(result, globals, deployments, single: false);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Current(RegistryGlobals globals)
    {
        var environment = EnvironmentOption();
        var target = TargetOption();
        var command = new Command("current", "The deployment serving now: the latest that succeeded.") { environment, target };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var current = await registry.Deployments.CurrentAsync(
                RegistryGlobals.Parse<DeploymentEnvironment>(result.GetValue(environment), "--environment"),
                RegistryGlobals.Parse<DeploymentTarget>(result.GetValue(target), "--target"),
                cancellationToken).ConfigureAwait(false);
            Print(result, globals, [current], single: true);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command RollbackTarget(RegistryGlobals globals)
    {
        var environment = EnvironmentOption();
        var target = TargetOption();
        var command = new Command("rollback-target", "What a rollback puts back: the deployment that served before the current release, the model that would then serve, its task definition and pin.") { environment, target };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var rollback = await registry.Deployments.RollbackTargetAsync(
                RegistryGlobals.Parse<DeploymentEnvironment>(result.GetValue(environment), "--environment"),
                RegistryGlobals.Parse<DeploymentTarget>(result.GetValue(target), "--target"),
                cancellationToken).ConfigureAwait(false);
            if (result.GetValue(globals.Json))
            {
                CliOutput.WriteJson(result, RollbackTargetOutput.Json(rollback));
                return CliOutput.Success;
            }

            var output = CliOutput.Out(result);
            output.WriteLine($"Current:     {Describe(rollback.Current)}{(rollback.CurrentModel is { } serving ? $", model {RegistryNames.Of(serving.Status)}" : ", model no longer registered")}");
            output.WriteLine($"Rollback to: {Describe(rollback.Target)}");
            output.WriteLine($"Would serve: {rollback.Model.Reference} ({RegistryNames.Of(rollback.Model.Status)}), image {rollback.Target.Image ?? "-"}, task definition {rollback.Target.TaskDefinitionArn ?? "-"}");
            foreach (var passed in rollback.PassedOver)
            {
                output.WriteLine($"Passed over: {Describe(passed.Deployment)}: {passed.Reason}");
            }

            foreach (var (key, value) in rollback.Model.Artifact.Environment)
            {
                output.WriteLine($"{key}={value}");
            }

            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    // Workflows pass step outputs that are empty when a step did not get that far.
    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static ObjectId ParseId(string id, string option) =>
        ObjectId.TryParse(id, out var parsed) ? parsed : throw new RegistryException(RegistryFailure.NotFound, $"{option}: '{id}' is not a deployment id.");

    private static string Describe(DeploymentDocument d) => $"{d.ModelName}@{d.ModelVersion} since {d.StartedAt:yyyy-MM-dd HH:mm} ({d.Id})";

    private static void Print(ParseResult result, RegistryGlobals globals, IReadOnlyList<DeploymentDocument> deployments, bool single)
    {
        if (result.GetValue(globals.Json))
        {
            CliOutput.WriteJson(result, single ? deployments[0] : deployments);
            return;
        }

        var table = CliOutput.Table("id", "model", "environment", "target", "strategy", "status", "started", "finished", "actor");
        foreach (var d in deployments)
        {
            table.AddRow(
                d.Id.ToString(),
                $"{d.ModelName}@{d.ModelVersion}",
                RegistryNames.Of(d.Environment),
                RegistryNames.Of(d.Target),
                RegistryNames.Of(d.Strategy),
                RegistryNames.Of(d.Status),
                $"{d.StartedAt:yyyy-MM-dd HH:mm:ss}",
                d.FinishedAt is { } at ? $"{at:yyyy-MM-dd HH:mm:ss}" : "-",
                d.Actor);
        }

        CliOutput.Write(result, table);
    }
}

/// <summary>
/// What 'registry deployment rollback-target --json' prints, which the rollback workflow reads: the current deployment
/// and its model, the target deployment, the model and pin environment that would serve, and what was passed over.
/// </summary>
public static class RollbackTargetOutput
{
    public static object Json(RollbackTarget rollback)
    {
        ArgumentNullException.ThrowIfNull(rollback);
        return new
        {
            rollback.Current,
            rollback.CurrentModel,
            rollback.Target,
            model = rollback.Model,
            environment = rollback.Model.Artifact.Environment,
            passed_over = rollback.PassedOver.Select(p => new { deployment = p.Deployment, p.Reason }),
        };
    }
}
