using Inference.Testing;

namespace Inference.Lambda.Tests.Support;

/// <summary>
/// The function as shipped: self-contained linux-x64 with ReadyToRun, published once before the test run by
/// scripts/publish-for-tests.sh (never by a test) and found through <see cref="PublishedArtifacts.LambdaPackage"/>.
/// </summary>
public sealed class PublishedBootstrap
{
    /// <summary>The package folder; the test skips (or fails under scripts/test.sh) when it was not published.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Tests reach it through the fixture xunit injects.")]
    public string Directory => PublishedArtifacts.Require(PublishedArtifacts.LambdaPackage);
}

/// <summary>
/// The bootstrap tests time answers against invocation deadlines (a 200 ms margin), so they run on their own, after
/// the other test classes, not beside test classes that load models on the same cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PublishedBootstrapGroup : ICollectionFixture<PublishedBootstrap>
{
    public const string Name = "published bootstrap";
}
