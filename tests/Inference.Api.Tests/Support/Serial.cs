namespace Inference.Api.Tests.Support;

/// <summary>Tests that measure time or load run alone, so other test hosts do not skew them on two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Serial
{
    public const string Name = "Timing-sensitive";
}
