using System.Net;
using Inference.Api.Tests.Support;
using Inference.Testing;

namespace Inference.Api.Tests;

/// <summary>
/// Decoding is admitted before it starts: the queue limit counts images from before their decode, and the decode
/// gate holds decodes to a memory budget. A flood of large images gets 429s, not a process that grows with it.
/// </summary>
[Collection(Serial.Name)]
public sealed class AdmissionTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_flood_of_12_megapixel_pngs_is_refused_beyond_the_queue_and_decoded_within_the_memory_budget()
    {
        Skip.IfNot(File.Exists("/proc/self/status"), "Process memory is read from /proc.");
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Batching__MaxQueue"] = "6",
            ["Limits__DecodeMemoryBytes"] = (64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),

            // Memory is under test here, not time: a loaded CI machine may take more than 2 s for one 12 MP PNG.
            ["Limits__DecodeTimeoutMs"] = "60000",
        });
        await api.WaitUntilReadyAsync();

        // 4032×3024 decodes to 46.5 MiB of RGBA: a 64 MiB budget lets one decode run at a time.
        using var photo = TestImages.Gradient(4032, 3024);
        var png = SkiaEncoding.Png(photo);
        using (await api.Client.PostAsync("/v1/detect", Requests.Raw(png)))
        {
        }

        var idle = ProcessStats.ResidentBytes(api.Id);
        Assert.True(ProcessStats.TryResetPeak(api.Id), "The service's resident peak cannot be reset here.");
        var answers = await Task.WhenAll(Enumerable.Range(0, 24).Select(async _ =>
        {
            using var response = await api.Client.PostAsync("/v1/detect", Requests.Raw(png));
            var retryAfter = response.Headers.RetryAfter?.Delta;
            var code = response.StatusCode == HttpStatusCode.OK ? null : (await response.ReadAs<ProblemAnswer>()).Code;
            return (response.StatusCode, code, retryAfter);
        }));
        var growth = ProcessStats.PeakResidentBytes(api.Id) - idle;
        output.WriteLine($"{png.Length >> 10} KiB PNGs: {answers.Count(a => a.StatusCode == HttpStatusCode.OK)} served, {answers.Count(a => a.StatusCode != HttpStatusCode.OK)} refused; peak {growth >> 20} MiB above {idle >> 20} MiB.");

        Assert.All(answers, a => Assert.True(a.StatusCode == HttpStatusCode.OK || (a.StatusCode == HttpStatusCode.TooManyRequests && a.code == "queue-full" && a.retryAfter >= TimeSpan.FromSeconds(1)), $"{a.StatusCode} {a.code}"));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.True(growth <= 150L << 20, $"The service grew {growth >> 20} MiB above its {idle >> 20} MiB under the flood.");
    }
}
