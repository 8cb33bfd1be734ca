using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Inference.Testing.Gpu;

/// <summary>
/// A test that needs a GPU: trait <c>Category=Gpu</c> (so <c>dotnet test --filter Category=Gpu</c> selects exactly
/// these, as buildspec-gpu.yml does), skipped with the reason from <see cref="CudaAvailability"/> where this process
/// cannot open CUDA sessions. It is a <see cref="SkippableFactAttribute"/>, so its body may still skip for a missing
/// fixture.
/// </summary>
[TraitDiscoverer("Inference.Testing.Gpu.GpuTraitDiscoverer", "Inference.Testing")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuFactAttribute : SkippableFactAttribute, ITraitAttribute
{
    public GpuFactAttribute()
    {
        if (CudaAvailability.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>The theory form of <see cref="GpuFactAttribute"/>.</summary>
[TraitDiscoverer("Inference.Testing.Gpu.GpuTraitDiscoverer", "Inference.Testing")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuTheoryAttribute : SkippableTheoryAttribute, ITraitAttribute
{
    public GpuTheoryAttribute()
    {
        if (CudaAvailability.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>
/// A test of the CPU fallback: meaningful only where no CUDA device is present (on a GPU host the CUDA provider may
/// load, which is what <see cref="GpuFactAttribute"/> tests), so it is skipped there with that reason. Skippable, so
/// its body may still skip for a missing artefact.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class WithoutGpuFactAttribute : SkippableFactAttribute
{
    public WithoutGpuFactAttribute()
    {
        if (CudaAvailability.NoDeviceReason is null)
        {
            Skip = "This host has a CUDA device; the CPU fallback is shown where there is none.";
        }
    }
}

/// <summary>Gives every <see cref="GpuFactAttribute"/> and <see cref="GpuTheoryAttribute"/> test the trait <c>Category=Gpu</c>.</summary>
public sealed class GpuTraitDiscoverer : ITraitDiscoverer
{
    public const string Category = "Category";
    public const string Gpu = "Gpu";

    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute) => [new(Category, Gpu)];
}
