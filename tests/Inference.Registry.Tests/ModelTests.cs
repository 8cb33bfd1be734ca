using Inference.Registry.Models;
using Inference.Registry.Storage;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Inference.Registry.Tests;

public sealed class ModelTests
{
    [SkippableFact]
    public async Task A_model_is_registered_with_its_lineage_training_facts_and_verified_artifact()
    {
        var harness = await RegistryHarness.CreateAsync();
        var dataset = await harness.Registry.Datasets.RegisterAsync(RegistryHarness.Dataset());

        var model = await harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", dataset, await harness.UploadArtifactAsync()));

        Assert.Equal(1, model.Version);
        Assert.Equal(ModelStatus.Registered, model.Status);
        Assert.Equal(dataset.Id, model.Dataset.Id);
        var raw = await harness.Registry.Database.Database.GetCollection<BsonDocument>(RegistryDatabase.ModelsCollection).Find(FilterDefinition<BsonDocument>.Empty).FirstAsync();
        Assert.Equal("registered", raw["status"].AsString);
        Assert.Equal("roboflow", raw["training"]["source"].AsString);
        Assert.Equal(0.91, raw["training"]["metrics"]["map50"].AsDouble);
        Assert.Equal(model.Artifact.Weights.Sha256, raw["artifact"]["weights"]["sha256"].AsString);
        Assert.Equal("shapes", raw["dataset"]["name"].AsString);
    }

    [SkippableFact]
    public async Task The_dataset_version_must_exist()
    {
        var harness = await RegistryHarness.CreateAsync();
        var missing = RegistryHarness.Dataset() with { Version = 7 };

        var failure = await Assert.ThrowsAsync<RegistryException>(() =>
            harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", missing, harness.UploadArtifactAsync().Result)));

        Assert.Equal(RegistryFailure.NotFound, failure.Failure);
        Assert.Contains("Dataset 'shapes' version 7", failure.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_artifact_whose_hash_differs_from_s3_is_refused_and_leaves_no_orphan_or_gap(bool withMetadata)
    {
        var harness = await RegistryHarness.CreateAsync();
        var dataset = await harness.Registry.Datasets.RegisterAsync(RegistryHarness.Dataset());
        var artifact = await harness.UploadArtifactAsync(withMetadata: withMetadata);
        var wrong = artifact with { Weights = artifact.Weights with { Sha256 = new string('f', 64) } };

        var failure = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", dataset, wrong)));
        var next = await harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", dataset, artifact));

        Assert.Equal(RegistryFailure.InvalidArtifact, failure.Failure);
        Assert.Contains(new string('f', 64), failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, next.Version);
        Assert.Single(await harness.Registry.Models.ListAsync("detector"));
    }

    [SkippableFact]
    public async Task A_pin_to_a_version_s3_does_not_have_is_refused()
    {
        var harness = await RegistryHarness.CreateAsync();
        var dataset = await harness.Registry.Datasets.RegisterAsync(RegistryHarness.Dataset());
        var artifact = await harness.UploadArtifactAsync();
        var bogus = artifact with { Weights = artifact.Weights with { VersionId = "no-such-version" } };

        var failure = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", dataset, bogus)));

        Assert.Equal(RegistryFailure.InvalidArtifact, failure.Failure);
        Assert.Contains("no-such-version", failure.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Twenty_parallel_registrations_get_twenty_distinct_consecutive_versions()
    {
        var harness = await RegistryHarness.CreateAsync();
        var dataset = await harness.Registry.Datasets.RegisterAsync(RegistryHarness.Dataset());
        var artifact = await harness.UploadArtifactAsync();

        var registered = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", dataset, artifact)))));

        Assert.Equal(Enumerable.Range(1, 20), registered.Select(m => m.Version).Order());
        Assert.Equal(20, (await harness.Registry.Models.ListAsync("detector")).Count);
    }

    [SkippableFact]
    public async Task Production_is_held_by_one_model_per_name_and_target_with_an_audit_entry_per_change()
    {
        var harness = await RegistryHarness.CreateAsync();
        await harness.RegisterModelAsync();
        var dataset = await harness.Registry.Datasets.GetAsync("shapes");
        await harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", dataset, await harness.UploadArtifactAsync("v2")));
        await harness.Registry.Models.RegisterAsync(RegistryHarness.Model("detector", dataset, await harness.UploadArtifactAsync("v3")));
        var models = harness.Registry.Models;

        await models.PromoteAsync("detector", 1, ModelStatus.Staging, null, "alice", "smoke tests passed");
        await models.PromoteAsync("detector", 1, ModelStatus.Production, DeploymentTarget.Ecs, "alice", "release 1");
        await models.PromoteAsync("detector", 2, ModelStatus.Production, DeploymentTarget.Lambda, "alice", "light release");
        await models.PromoteAsync("detector", 3, ModelStatus.Production, DeploymentTarget.Ecs, "bob", "release 3");
        var secondTarget = await Assert.ThrowsAsync<RegistryException>(() => models.PromoteAsync("detector", 3, ModelStatus.Production, DeploymentTarget.Lambda, "bob", null));

        var production = await models.ListAsync("detector", ModelStatus.Production);
        Assert.Equal(["2:lambda", "3:ecs"], production.Select(m => $"{m.Version}:{RegistryNames.Of(m.ProductionTarget!.Value)}"));
        Assert.Equal(ModelStatus.Staging, (await models.GetAsync("detector", 1)).Status);
        Assert.Contains("already in production on ecs", secondTarget.Message, StringComparison.Ordinal);
        var history = (await models.LineageAsync("detector", 1)).History;
        Assert.Equal(["registered>staging", "staging>production", "production>staging"], history.Select(c => $"{RegistryNames.Of(c.From)}>{RegistryNames.Of(c.To)}"));
        Assert.Equal("bob", history[^1].Actor);
        Assert.Contains("by detector@3", history[^1].Reason, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Production_needs_a_target_and_archived_models_stay_archived()
    {
        var harness = await RegistryHarness.CreateAsync();
        await harness.RegisterModelAsync();
        var models = harness.Registry.Models;

        var noTarget = await Assert.ThrowsAsync<RegistryException>(() => models.PromoteAsync("detector", 1, ModelStatus.Production, null, "alice", null));
        await models.PromoteAsync("detector", 1, ModelStatus.Production, DeploymentTarget.Ecs, "alice", null);
        var archiveProduction = await Assert.ThrowsAsync<RegistryException>(() => models.ArchiveAsync("detector", 1, "alice", null));
        await models.PromoteAsync("detector", 1, ModelStatus.Staging, null, "alice", "rolled back");
        var archived = await models.ArchiveAsync("detector", 1, "alice", "superseded");
        var promoteArchived = await Assert.ThrowsAsync<RegistryException>(() => models.PromoteAsync("detector", 1, ModelStatus.Staging, null, "alice", null));

        Assert.Contains("needs a target", noTarget.Message, StringComparison.Ordinal);
        Assert.Contains("in production on ecs", archiveProduction.Message, StringComparison.Ordinal);
        Assert.Equal(ModelStatus.Archived, archived.Status);
        Assert.Contains("archived", promoteArchived.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Lineage_goes_from_model_to_dataset_source_and_deployments()
    {
        var harness = await RegistryHarness.CreateAsync();
        var model = await harness.RegisterModelAsync();
        await harness.Registry.Deployments.StartAsync(RegistryHarnessDeployments.Draft(model, Deployments.DeploymentEnvironment.Staging));

        var lineage = await harness.Registry.Models.LineageAsync("detector", 1);

        Assert.Equal("shapes", lineage.Dataset.Name);
        Assert.Equal("acme", lineage.Dataset.Source.Workspace);
        Assert.Equal("3", lineage.Dataset.Source.Version);
        Assert.Single(lineage.Deployments);
    }
}
