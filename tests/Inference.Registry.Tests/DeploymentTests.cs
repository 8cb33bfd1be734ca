using Inference.Registry.Deployments;
using Inference.Registry.Models;
using Inference.Registry.Storage;

namespace Inference.Registry.Tests;

internal static class RegistryHarnessDeployments
{
    public static DeploymentDocument Draft(ModelDocument model, DeploymentEnvironment environment, DeploymentTarget target = DeploymentTarget.Ecs) => new()
    {
        ModelName = model.Name,
        ModelVersion = model.Version,
        Environment = environment,
        Target = target,
        Strategy = DeploymentStrategy.BlueGreen,
        Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/detector@sha256:" + new string('a', 64),
        TaskDefinitionArn = $"arn:aws:ecs:us-east-1:123456789012:task-definition/detector:{model.Version}",
        CodeDeployDeploymentId = $"d-{model.Version}ABCDEFG",
        Actor = "deployer",
        Commit = "abc1234",
    };
}

public sealed class DeploymentTests
{
    [SkippableFact]
    public async Task A_deployment_records_the_previous_current_one_and_finishes_once()
    {
        var harness = await RegistryHarness.CreateAsync();
        var model = await harness.RegisterModelAsync();
        var deployments = harness.Registry.Deployments;

        var first = await deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production));
        await deployments.FinishAsync(first.Id.ToString(), DeploymentStatus.Succeeded, null);
        var second = await deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production));
        var again = await Assert.ThrowsAsync<RegistryException>(() => deployments.FinishAsync(first.Id.ToString(), DeploymentStatus.Failed, null));

        Assert.Equal(DeploymentStatus.InProgress, second.Status);
        Assert.Equal(first.Id, second.PreviousDeploymentId);
        Assert.Equal($"Deployment {first.Id} already finished as succeeded.", again.Message);
        Assert.Equal(first.Id, (await deployments.CurrentAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs)).Id);
        Assert.Equal([second.Id, first.Id], (await deployments.ListAsync(DeploymentEnvironment.Production)).Select(d => d.Id));
    }

    [SkippableFact]
    public async Task The_rollback_target_is_the_last_success_before_the_current_one_with_its_pin()
    {
        var harness = await RegistryHarness.CreateAsync();
        var v1 = await harness.RegisterModelAsync();
        var v2 = await harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", await harness.Registry.Datasets.GetAsync("shapes"), await harness.UploadArtifactAsync("v2")));
        var v3 = await harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", await harness.Registry.Datasets.GetAsync("shapes"), await harness.UploadArtifactAsync("v3")));
        var deployments = harness.Registry.Deployments;

        async Task Deploy(ModelDocument model, DeploymentStatus outcome, DeploymentEnvironment environment = DeploymentEnvironment.Production, DeploymentTarget target = DeploymentTarget.Ecs)
        {
            var started = await deployments.StartAsync(RegistryHarnessDeployments.Draft(model, environment, target));
            await deployments.FinishAsync(started.Id.ToString(), outcome, outcome == DeploymentStatus.Succeeded ? null : "alarm");
        }

        await Deploy(v1, DeploymentStatus.Succeeded);
        await Deploy(v2, DeploymentStatus.Succeeded);
        await Deploy(v3, DeploymentStatus.RolledBack);
        await Deploy(v3, DeploymentStatus.Succeeded, DeploymentEnvironment.Staging);
        await Deploy(v3, DeploymentStatus.Succeeded, target: DeploymentTarget.Lambda);

        var rollback = await deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs);

        Assert.Equal(2, rollback.Current.ModelVersion);
        Assert.Equal(1, rollback.Target.ModelVersion);
        Assert.Equal(v1.Artifact.Weights, rollback.Model.Artifact.Weights);
        Assert.Equal("arn:aws:ecs:us-east-1:123456789012:task-definition/detector:1", rollback.Target.TaskDefinitionArn);
        Assert.Equal(v1.Artifact.Weights.Sha256, rollback.Model.Artifact.Environment["Model__Sha256"]);
    }

    [SkippableFact]
    public async Task Without_two_successes_there_is_no_rollback_target()
    {
        var harness = await RegistryHarness.CreateAsync();
        var model = await harness.RegisterModelAsync();
        var started = await harness.Registry.Deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production));
        await harness.Registry.Deployments.FinishAsync(started.Id.ToString(), DeploymentStatus.Succeeded, null);

        var failure = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs));

        Assert.Equal(RegistryFailure.NotFound, failure.Failure);
        Assert.Contains("there is one", failure.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Archived_models_cannot_be_deployed()
    {
        var harness = await RegistryHarness.CreateAsync();
        var model = await harness.RegisterModelAsync();
        await harness.Registry.Models.ArchiveAsync(model.Name, model.Version, "alice", null);

        var failure = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Staging)));

        Assert.Equal(RegistryFailure.Conflict, failure.Failure);
    }
}
