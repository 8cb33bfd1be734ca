using Inference.Registry.Deployments;
using Inference.Registry.Models;
using Inference.Registry.Storage;
using Inference.Testing;
using MongoDB.Bson;
using MongoDB.Driver;

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
    public async Task Without_an_earlier_success_there_is_no_rollback_target()
    {
        var harness = await RegistryHarness.CreateAsync();
        var model = await harness.RegisterModelAsync();
        var started = await harness.Registry.Deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production));
        await harness.Registry.Deployments.FinishAsync(started.Id.ToString(), DeploymentStatus.Succeeded, null);

        var failure = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Deployments.RollbackTargetAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs));
        var none = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Deployments.RollbackTargetAsync(DeploymentEnvironment.Staging, DeploymentTarget.Ecs));

        Assert.Equal(RegistryFailure.NotFound, failure.Failure);
        Assert.Contains($"nothing served before detector@1 (deployment {started.Id}", failure.Message, StringComparison.Ordinal);
        Assert.Contains("nothing has been deployed there successfully yet", none.Message, StringComparison.Ordinal);
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

/// <summary>One deployment in progress per environment and target, decided by the database.</summary>
public sealed class DeploymentInProgressTests
{
    [SkippableFact]
    public async Task A_second_deployment_in_progress_for_the_same_environment_and_target_is_refused()
    {
        var harness = await RegistryHarness.CreateAsync();
        var model = await harness.RegisterModelAsync();
        var deployments = harness.Registry.Deployments;

        var first = await deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production));
        var second = await Assert.ThrowsAsync<RegistryException>(() => deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production)));
        var staging = await deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Staging));
        var lambda = await deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production, DeploymentTarget.Lambda));
        await deployments.FinishAsync(first.Id.ToString(), DeploymentStatus.Stopped, "the run was cancelled");
        var after = await deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production));

        Assert.Equal(RegistryFailure.Conflict, second.Failure);
        Assert.Contains($"A deployment to production on ecs is already in progress (detector@1 (deployment {first.Id}", second.Message, StringComparison.Ordinal);
        Assert.Contains($"started by deployer); finish it first with 'registry deployment finish --id {first.Id} --status", second.Message, StringComparison.Ordinal);
        Assert.Equal(DeploymentStatus.InProgress, staging.Status);
        Assert.Equal(DeploymentStatus.InProgress, lambda.Status);
        Assert.Equal(DeploymentStatus.InProgress, after.Status);
        Assert.Equal([after.Id], (await deployments.ListAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs, status: DeploymentStatus.InProgress)).Select(d => d.Id));
    }

    [SkippableFact]
    public async Task Of_starts_that_race_exactly_one_wins_and_the_others_are_told_which()
    {
        var harness = await RegistryHarness.CreateAsync();
        var model = await harness.RegisterModelAsync();
        var deployments = harness.Registry.Deployments;

        var attempts = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            try
            {
                return (Started: await deployments.StartAsync(RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Production)), Refused: (RegistryException?)null);
            }
            catch (RegistryException refused)
            {
                return (Started: (DeploymentDocument?)null, Refused: refused);
            }
        }));

        var winner = Assert.Single(attempts, a => a.Started is not null).Started!;
        Assert.All(attempts.Where(a => a.Refused is not null), a => Assert.Contains($"--id {winner.Id} ", a.Refused!.Message, StringComparison.Ordinal));
        Assert.Equal(11, attempts.Count(a => a.Refused?.Failure == RegistryFailure.Conflict));
        Assert.Single(await deployments.ListAsync(DeploymentEnvironment.Production, DeploymentTarget.Ecs));
    }

    [SkippableFact]
    public async Task A_deployment_of_an_image_that_is_not_a_digest_is_refused()
    {
        var harness = await RegistryHarness.CreateAsync();
        var model = await harness.RegisterModelAsync();

        var failure = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Deployments.StartAsync(
            RegistryHarnessDeployments.Draft(model, DeploymentEnvironment.Staging) with { Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/detector:latest" }));

        Assert.Contains("it has no digest", failure.Message, StringComparison.Ordinal);
        Assert.Empty(await harness.Registry.Deployments.ListAsync());
    }
}

/// <summary>The image references a deployment records and a task definition receives.</summary>
public sealed class ImageReferenceTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com/detector@" + Digest)]
    [InlineData("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/detector-lambda@" + Digest)]
    [InlineData("localhost:5000/detector@" + Digest)]
    [InlineData("detector@" + Digest)]
    public void A_repository_at_a_sha256_digest_is_accepted(string image)
    {
        Assert.Null(ImageReference.Problem(image));
    }

    [Theory]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com/detector:latest", "it has no digest")]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com/detector", "it has no digest")]
    [InlineData("detector:v1@" + Digest, "it names a tag as well as a digest")]
    [InlineData("detector@sha256:abc", "not 64 lower-case hex digits")]
    [InlineData("detector@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "not 64 lower-case hex digits")]
    [InlineData("detector@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "digest is not sha256")]
    [InlineData("Detector@" + Digest, "repository name is not valid")]
    [InlineData("", "The image is empty")]
    public void Anything_else_is_refused_with_the_reason(string image, string reason)
    {
        var problem = ImageReference.Problem(image);

        Assert.NotNull(problem);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }
}

/// <summary>A trail from before the one-in-progress rule: the registry says what to close before it can run.</summary>
public sealed class OlderTrailTests
{
    [SkippableFact]
    public async Task Two_deployments_left_in_progress_by_an_older_registry_are_named_with_the_command_that_closes_them()
    {
        MongoTestServer.Require();
        var name = MongoTestServer.NewDatabaseName();
        var raw = new MongoClient(MongoTestServer.Uri).GetDatabase(name).GetCollection<BsonDocument>(RegistryDatabase.DeploymentsCollection);
        var ids = new[] { ObjectId.GenerateNewId(), ObjectId.GenerateNewId() };
        await raw.InsertManyAsync(ids.Select(id => new BsonDocument
        {
            ["_id"] = id, ["modelName"] = "detector", ["modelVersion"] = 3, ["environment"] = "production", ["target"] = "ecs",
            ["strategy"] = "blue-green", ["status"] = "in-progress", ["startedAt"] = DateTime.UtcNow, ["actor"] = "ci",
        }));

        var failure = await Assert.ThrowsAsync<RegistryException>(() => RegistryDatabase.ConnectAsync(MongoTestServer.Uri!, name));

        Assert.Equal(RegistryFailure.Conflict, failure.Failure);
        Assert.Contains($"production on ecs: {ids[0]} (detector@3", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"{ids[1]} (detector@3", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"in database {name}: db.deployments.updateOne({{_id: ObjectId('ID')}}, {{$set: {{status: 'stopped'", failure.Message, StringComparison.Ordinal);
    }
}
