using Inference.Testing;

namespace Inference.Lambda.Tests.Support;

/// <summary>The function as shipped: published once per run, self-contained linux-x64 with ReadyToRun.</summary>
public sealed class PublishedBootstrap : IAsyncLifetime
{
    private readonly string _root = System.IO.Directory.CreateTempSubdirectory("lambda-bootstrap-").FullName;

    public string Directory { get; private set; } = string.Empty;

    public async Task InitializeAsync() => Directory = await LambdaPackage.PublishAsync(Path.Combine(_root, "package"), readyToRun: true);

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class PublishedBootstrapGroup : ICollectionFixture<PublishedBootstrap>
{
    public const string Name = "published bootstrap";
}
