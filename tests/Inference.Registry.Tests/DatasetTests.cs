using Inference.Registry.Storage;
using Inference.Testing;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Inference.Registry.Tests;

public sealed class DatasetTests
{
    [SkippableFact]
    public async Task Versions_are_our_own_numbers_one_two_three_per_name()
    {
        var harness = await RegistryHarness.CreateAsync();
        var datasets = harness.Registry.Datasets;

        var first = await datasets.RegisterAsync(RegistryHarness.Dataset());
        var second = await datasets.RegisterAsync(RegistryHarness.Dataset());
        var other = await datasets.RegisterAsync(RegistryHarness.Dataset("birds"));

        Assert.Equal([1, 2, 1], new[] { first.Version, second.Version, other.Version });
        Assert.Equal(2, (await datasets.GetAsync("shapes")).Version);
        Assert.Equal(first.Id, (await datasets.GetAsync("shapes", 1)).Id);
        Assert.Equal(["birds@1", "shapes@1", "shapes@2"], (await datasets.ListAsync()).Select(d => $"{d.Name}@{d.Version}"));
    }

    [SkippableFact]
    public async Task A_duplicate_version_is_refused_clearly()
    {
        var harness = await RegistryHarness.CreateAsync();
        await harness.Registry.Datasets.RegisterAsync(RegistryHarness.Dataset(version: 3));

        var failure = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Datasets.RegisterAsync(RegistryHarness.Dataset(version: 3)));

        Assert.Equal(RegistryFailure.Duplicate, failure.Failure);
        Assert.Equal("Dataset 'shapes' version 3 already exists; versions are immutable, register a new one.", failure.Message);
    }

    [SkippableFact]
    public async Task The_same_contents_are_found_again_by_hash()
    {
        var harness = await RegistryHarness.CreateAsync();
        var registered = await harness.Registry.Datasets.RegisterAsync(RegistryHarness.Dataset(contentHash: "abc"));

        Assert.Equal(registered.Id, (await harness.Registry.Datasets.FindByContentAsync("shapes", "abc"))!.Id);
        Assert.Null(await harness.Registry.Datasets.FindByContentAsync("shapes", "def"));
    }

    [SkippableFact]
    public async Task Documents_are_stored_in_camel_case_with_kebab_case_enums()
    {
        var harness = await RegistryHarness.CreateAsync();
        await harness.Registry.Datasets.RegisterAsync(RegistryHarness.Dataset());

        var raw = await harness.Registry.Database.Database.GetCollection<BsonDocument>(RegistryDatabase.DatasetsCollection).Find(FilterDefinition<BsonDocument>.Empty).FirstAsync();

        Assert.Equal("roboflow", raw["source"]["kind"].AsString);
        Assert.Equal(70, raw["imageCounts"]["train"].AsInt32);
        Assert.True(raw.Contains("createdAt") && raw.Contains("createdBy") && raw.Contains("classes"));
        Assert.False(raw.Contains("Name"));
    }

    [SkippableFact]
    public async Task A_missing_dataset_is_not_found()
    {
        var harness = await RegistryHarness.CreateAsync();

        var failure = await Assert.ThrowsAsync<RegistryException>(() => harness.Registry.Datasets.GetAsync("nothing", 2));

        Assert.Equal(RegistryFailure.NotFound, failure.Failure);
        Assert.Equal("Dataset 'nothing' version 2 is not registered.", failure.Message);
    }

    [Fact]
    public async Task An_unreachable_mongodb_fails_clearly_within_about_five_seconds()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var failure = await Assert.ThrowsAsync<RegistryException>(() =>
            RegistryDatabase.ConnectAsync($"mongodb://127.0.0.1:{LoopbackPorts.Free()}/registry?serverSelectionTimeoutMS=5000", timeout: TimeSpan.FromSeconds(2)));

        Assert.Equal(RegistryFailure.Unavailable, failure.Failure);
        Assert.Contains("MongoDB at 127.0.0.1:", failure.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"Took {clock.Elapsed}.");
    }
}
