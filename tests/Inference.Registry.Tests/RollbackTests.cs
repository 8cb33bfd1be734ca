using Inference.Registry.Deployments;
using Inference.Registry.Models;
using Inference.Registry.Storage;

namespace Inference.Registry.Tests;

/// <summary>Where rollbacks go, one after another, and what a withdrawn model changes.</summary>
public sealed class RollbackTests
{
    [SkippableFact]
    public async Task A_rollback_after_a_rollback_goes_further_back_never_to_the_release_it_left()
    {
        var (harness, models) = await ModelsAsync(3);
        var deployments = harness.Registry.Deployments;
        var a = await ReleaseAsync(harness, models[0]);
        var b = await ReleaseAsync(harness, models[1]);
        var c = await ReleaseAsync(harness, models[2]);

        var first = await deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs);
        var r1 = await RollBackAsync(harness, first);
        var second = await deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs);
        var r2 = await RollBackAsync(harness, second);
        var third = await Assert.ThrowsAsync<RegistryException>(() => deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs));

        Assert.Equal((c.Id, b.Id), (first.Current.Id, first.Target.Id));
        Assert.Equal(b.Id, r1.RestoresDeploymentId);
        Assert.Equal(c.Id, r1.PreviousDeploymentId);
        Assert.Equal((r1.Id, a.Id), (second.Current.Id, second.Target.Id));
        Assert.Equal(models[0].Artifact.Weights, second.Model.Artifact.Weights);
        Assert.Equal(a.TaskDefinitionArn, second.Target.TaskDefinitionArn);
        Assert.Equal(a.Id, r2.RestoresDeploymentId);
        Assert.Equal(RegistryFailure.NotFound, third.Failure);
        Assert.Contains($"nothing served before detector@1 (deployment {a.Id}", third.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_release_after_a_rollback_rolls_back_to_what_the_rollback_put_back()
    {
        var (harness, models) = await ModelsAsync(3);
        var deployments = harness.Registry.Deployments;
        await ReleaseAsync(harness, models[0]);
        var b = await ReleaseAsync(harness, models[1]);
        await ReleaseAsync(harness, models[2]);
        var r1 = await RollBackAsync(harness, await deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs));
        var d = await ReleaseAsync(harness, models[2]);

        var target = await deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs);

        Assert.Equal(d.Id, target.Current.Id);
        Assert.Equal(r1.Id, target.Target.Id);
        Assert.Equal(b.ModelVersion, target.Model.Version);
        Assert.Equal(b.Image, target.Target.Image);
    }

    [SkippableFact]
    public async Task A_rollback_must_put_back_exactly_a_release_that_served_there()
    {
        var (harness, models) = await ModelsAsync(2);
        var deployments = harness.Registry.Deployments;
        var a = await ReleaseAsync(harness, models[0]);
        var failed = await deployments.StartAsync(RegistryHarnessDeployments.Draft(models[1], DeploymentEnvironment.Production));
        await deployments.FinishAsync(failed.Id.ToString(), DeploymentStatus.RolledBack, "alarm");

        var wrongModel = await Assert.ThrowsAsync<RegistryException>(() => deployments.StartAsync(RegistryHarnessDeployments.Draft(models[1], DeploymentEnvironment.Production) with { RestoresDeploymentId = a.Id }));
        var neverServed = await Assert.ThrowsAsync<RegistryException>(() => deployments.StartAsync(RegistryHarnessDeployments.Draft(models[1], DeploymentEnvironment.Production) with { RestoresDeploymentId = failed.Id }));
        var elsewhere = await Assert.ThrowsAsync<RegistryException>(() => deployments.StartAsync(RegistryHarnessDeployments.Draft(models[0], DeploymentEnvironment.Staging) with { RestoresDeploymentId = a.Id }));
        var otherImage = await Assert.ThrowsAsync<RegistryException>(() => deployments.StartAsync(
            RegistryHarnessDeployments.Draft(models[0], DeploymentEnvironment.Production) with { RestoresDeploymentId = a.Id, Image = "registry.example/detector@sha256:" + new string('c', 64) }));

        Assert.Contains($"it served detector@1, not detector@2", wrongModel.Message, StringComparison.Ordinal);
        Assert.Contains("it rolled-back, it never served", neverServed.Message, StringComparison.Ordinal);
        Assert.Contains("it served production on ecs", elsewhere.Message, StringComparison.Ordinal);
        Assert.Contains("not registry.example/detector@sha256:cccc", otherImage.Message, StringComparison.Ordinal);
        Assert.Empty(await deployments.ListAsync(status: DeploymentStatus.InProgress));
    }

    [SkippableFact]
    public async Task A_withdrawn_model_is_passed_over_by_the_rollback_target_and_cannot_be_deployed()
    {
        var (harness, models) = await ModelsAsync(3);
        var deployments = harness.Registry.Deployments;
        var a = await ReleaseAsync(harness, models[0]);
        var b = await ReleaseAsync(harness, models[1]);
        var c = await ReleaseAsync(harness, models[2]);
        await harness.Registry.Models.PromoteAsync("detector", 2, ModelStatus.Production, DeploymentTarget.Ecs, "alice", "release");

        var withdrawn = await harness.Registry.Models.WithdrawAsync("detector", 2, "bob", "false positives on night images");
        var target = await deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs);
        var redeploy = await Assert.ThrowsAsync<RegistryException>(() => deployments.StartAsync(RegistryHarnessDeployments.Draft(models[1], DeploymentEnvironment.Staging)));
        var lineage = await harness.Registry.Models.LineageAsync("detector", 2);

        Assert.Equal(ModelStatus.Withdrawn, withdrawn.Status);
        Assert.Null(withdrawn.ProductionTarget);
        Assert.Empty(await harness.Registry.Models.ListAsync(status: ModelStatus.Production));
        Assert.Equal(c.Id, target.Current.Id);
        Assert.Equal(ModelStatus.Registered, target.CurrentModel!.Status);
        Assert.Equal(a.Id, target.Target.Id);
        Assert.Equal("detector@1", target.Model.Reference);
        var passed = Assert.Single(target.PassedOver);
        Assert.Equal(b.Id, passed.Deployment.Id);
        Assert.Equal("detector@2 was withdrawn from production", passed.Reason);
        Assert.Contains("withdrawn from production and cannot be deployed until it is promoted again", redeploy.Message, StringComparison.Ordinal);
        var change = lineage.History[^1];
        Assert.Equal((ModelStatus.Production, ModelStatus.Withdrawn, "bob"), (change.From, change.To, change.Actor));
        Assert.Equal("false positives on night images (withdrawn from production on ecs)", change.Reason);
    }

    [SkippableFact]
    public async Task Only_a_production_model_is_withdrawn_and_promoting_it_again_makes_it_deployable()
    {
        var (harness, models) = await ModelsAsync(1);
        var store = harness.Registry.Models;

        var notInProduction = await Assert.ThrowsAsync<RegistryException>(() => store.WithdrawAsync("detector", 1, "bob", null));
        await store.PromoteAsync("detector", 1, ModelStatus.Production, DeploymentTarget.Lambda, "alice", null);
        await store.WithdrawAsync("detector", 1, "bob", null);
        var again = await store.PromoteAsync("detector", 1, ModelStatus.Production, DeploymentTarget.Lambda, "alice", "fixed upstream");
        var deployed = await harness.Registry.Deployments.StartAsync(RegistryHarnessDeployments.Draft(models[0], DeploymentEnvironment.Staging, DeploymentTarget.Lambda));

        Assert.Equal(RegistryFailure.Conflict, notInProduction.Failure);
        Assert.Contains("detector@1 is registered, not in production", notInProduction.Message, StringComparison.Ordinal);
        Assert.Equal((ModelStatus.Production, DeploymentTarget.Lambda), (again.Status, again.ProductionTarget!.Value));
        Assert.Equal(DeploymentStatus.InProgress, deployed.Status);
        Assert.Equal("withdrawn from production on lambda", (await store.LineageAsync("detector", 1)).History[1].Reason);
    }

    [SkippableFact]
    public async Task When_every_earlier_release_was_withdrawn_the_answer_names_them()
    {
        var (harness, models) = await ModelsAsync(2);
        var a = await ReleaseAsync(harness, models[0]);
        await ReleaseAsync(harness, models[1]);
        await harness.Registry.Models.PromoteAsync("detector", 1, ModelStatus.Production, DeploymentTarget.Ecs, "alice", null);
        await harness.Registry.Models.WithdrawAsync("detector", 1, "bob", null);

        var failure = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs));

        Assert.Equal(RegistryFailure.NotFound, failure.Failure);
        Assert.Contains($"nothing served before detector@1 (deployment {a.Id}", failure.Message, StringComparison.Ordinal);
        Assert.Contains("passed over detector@1", failure.Message, StringComparison.Ordinal);
        Assert.Contains("detector@1 was withdrawn from production", failure.Message, StringComparison.Ordinal);
    }

    private static async Task<(RegistryHarness Harness, List<ModelDocument> Models)> ModelsAsync(int count)
    {
        var harness = await RegistryHarness.CreateAsync();
        var models = new List<ModelDocument> { await harness.RegisterModelAsync() };
        var dataset = await harness.Registry.Datasets.GetAsync("shapes");
        for (var i = 2; i <= count; i++)
        {
            models.Add(await harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", dataset, await harness.UploadArtifactAsync($"v{i}"))));
        }

        return (harness, models);
    }

    // A release as the workflow records it: start, then finish with the task definition CodeDeploy got.
    private static async Task<DeploymentDocument> ReleaseAsync(RegistryHarness harness, ModelDocument model)
    {
        var draft = RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production) with
        {
            Image = "registry.example/detector@sha256:" + new string((char)('a' + model.Version), 64),
            TaskDefinitionArn = null,
        };
        var started = await harness.Registry.Deployments.StartAsync(draft);
        return await harness.Registry.Deployments.FinishAsync(started.Id.ToString(), DeploymentStatus.Succeeded, "release", $"arn:aws:ecs:us-east-1:123456789012:task-definition/detector:{started.Id}");
    }

    // A rollback as the rollback release records it: the target's model and image, naming the deployment it restores.
    private static async Task<DeploymentDocument> RollBackAsync(RegistryHarness harness, RollbackTarget target)
    {
        var draft = RegistryHarnessDeployments.Draft(target.Model, DeploymentEnvironment.Production) with
        {
            Image = target.Target.Image,
            TaskDefinitionArn = null,
            RestoresDeploymentId = target.Target.Id,
        };
        var started = await harness.Registry.Deployments.StartAsync(draft);
        return await harness.Registry.Deployments.FinishAsync(started.Id.ToString(), DeploymentStatus.Succeeded, "rollback", $"arn:aws:ecs:us-east-1:123456789012:task-definition/detector:{started.Id}");
    }
}
