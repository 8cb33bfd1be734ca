using System.Net;
using Inference.Api.Tests.Support;
using Inference.DemoModel;
using Inference.Testing;
using Inference.Testing.Hostile;
using Xunit.Abstractions;

namespace Inference.Api.Tests;

/// <summary>
/// The hostile corpus through HTTP into a real service process, one case at a time: every case of every class is
/// answered (200 or a problem with its code) within its budget, and none costs the service more than 2 s of CPU or
/// 256 MiB of memory. The full corpus runs as benchmarks/hostile.sh.
/// </summary>
[Collection(Serial.Name)]
public sealed class HostileHttpTests(ITestOutputHelper output)
{
    private static readonly TimeSpan MaxCpu = TimeSpan.FromSeconds(2);
    private const long MaxResidentGrowth = 256L << 20;

    [SkippableFact]
    public async Task No_hostile_image_hangs_bloats_or_outspends_its_budget_and_the_service_serves_on()
    {
        Skip.IfNot(File.Exists("/proc/self/stat"), "Process CPU and memory are read from /proc.");
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>());
        await api.WaitUntilReadyAsync();
        var cases = HostileCorpus.Quick(perClass: 8);

        var runs = await HostileHttpRunner.RunAsync(api.Client, api.Id, cases);
        using var after = await api.Client.PostAsync("/v1/detect", Requests.Raw(DemoModelFiles.GoldenScene().RenderPng()));

        var problems = runs.SelectMany(r => HostileHttpRunner.Problems(r, MaxCpu, MaxResidentGrowth)).ToArray();
        output.WriteLine($"{runs.Count} cases in {Enum.GetValues<HostileClass>().Length} classes; slowest {runs.Max(r => r.Elapsed).TotalMilliseconds:0} ms, " +
            $"most CPU {runs.Max(r => r.Cpu).TotalMilliseconds:0} ms, largest resident growth {runs.Max(r => r.PeakResidentGrowth) >> 20} MiB.");
        Assert.True(problems.Length == 0, string.Join(Environment.NewLine, problems));
        Assert.Equal(Enum.GetValues<HostileClass>().Length, runs.Select(r => r.Case.Class).Distinct().Count());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
