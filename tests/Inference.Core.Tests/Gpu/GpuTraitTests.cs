using Inference.Testing.Gpu;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Inference.Core.Tests.Gpu;

/// <summary>
/// The GPU trait as xunit's own discovery sees it (what <c>dotnet test --filter Category=Gpu</c> selects and what the
/// runner reports): every <see cref="GpuFactAttribute"/> test is <c>Category=Gpu</c>, and here, without CUDA, each is
/// skipped with the sentence that says why; no other test of this assembly carries the trait.
/// </summary>
public sealed class GpuTraitTests
{
    [Fact]
    public void Gpu_tests_carry_the_gpu_category_and_skip_with_the_reason_where_cuda_cannot_run()
    {
        var cases = Discover(typeof(CudaProviderTests));

        // Every [GpuFact] method, as reflection counts them: a new one can never be missed here.
        var declared = typeof(CudaProviderTests).GetMethods().Count(m => m.IsDefined(typeof(GpuFactAttribute), inherit: false));
        Assert.True(declared >= 4, $"Only {declared} GPU tests were found.");
        Assert.Equal(declared, cases.Count);
        Assert.All(cases, c => Assert.Equal([GpuTraitDiscoverer.Gpu], c.Traits[GpuTraitDiscoverer.Category]));
        Assert.All(cases, c => Assert.Equal(CudaAvailability.SkipReason, c.SkipReason));
    }

    [Fact]
    public void Without_cuda_the_reason_names_what_is_missing()
    {
        Skip.If(CudaAvailability.Available, "CUDA runs in this process.");

        Assert.Matches("NVIDIA driver|CPU ONNX Runtime package|CUDA provider does not load|Linux only", CudaAvailability.SkipReason);
    }

    [Fact]
    public void Only_gpu_tests_carry_the_trait()
    {
        var cases = Discover(typeof(Repository.ModelLoaderTests));

        Assert.NotEmpty(cases);
        Assert.DoesNotContain(cases, c => c.Traits.ContainsKey(GpuTraitDiscoverer.Category));
    }

    private static List<ITestCase> Discover(Type type)
    {
        using var sink = new DiscoverySink();
        using var discoverer = new XunitTestFrameworkDiscoverer(new ReflectionAssemblyInfo(type.Assembly), new NoSourceInformation(), sink);
        discoverer.Find(type.FullName, false, sink, new DiscoveryOptions());
        Assert.True(sink.Finished.Wait(TimeSpan.FromSeconds(30)), "xunit's discovery did not finish.");
        return sink.Cases;
    }

    private sealed class DiscoverySink : LongLivedMarshalByRefObject, IMessageSink, IDisposable
    {
        public List<ITestCase> Cases { get; } = [];

        public ManualResetEventSlim Finished { get; } = new();

        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is ITestCaseDiscoveryMessage discovered)
            {
                Cases.Add(discovered.TestCase);
            }
            else if (message is IDiscoveryCompleteMessage)
            {
                Finished.Set();
            }

            return true;
        }

        public void Dispose() => Finished.Dispose();
    }

    private sealed class NoSourceInformation : LongLivedMarshalByRefObject, ISourceInformationProvider
    {
        public ISourceInformation GetSourceInformation(ITestCase testCase) => null!;

        public void Dispose()
        {
        }
    }

    private sealed class DiscoveryOptions : ITestFrameworkDiscoveryOptions
    {
        public TValue GetValue<TValue>(string name) => default!;

        public void SetValue<TValue>(string name, TValue value)
        {
        }
    }
}
