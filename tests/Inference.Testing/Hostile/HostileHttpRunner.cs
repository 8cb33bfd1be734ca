using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Inference.Core.Contracts;
using Inference.Core.Imaging;

namespace Inference.Testing.Hostile;

/// <summary>What one hostile case cost the service over HTTP, and what it answered.</summary>
/// <param name="Cpu">The service's CPU time during the request (all its threads, native code included).</param>
/// <param name="PeakResidentGrowth">The service's resident peak above its size before the request.</param>
public sealed record HostileHttpRun(HostileCase Case, int? Status, string? Code, TimeSpan Elapsed, TimeSpan Cpu, long PeakResidentGrowth)
{
    public bool Hung => Status is null;
}

/// <summary>
/// Sends hostile cases to a running service one at a time, each as a raw body with its content type, and measures
/// the service process itself (CPU from /proc, the resident peak reset before each request). One at a time, so
/// every CPU second and every byte is the request's own. Shared by the test suite's quick run and the benchmark.
/// </summary>
public static class HostileHttpRunner
{
    /// <summary>A request not answered in this long counts as a hang.</summary>
    public static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(15);

    public static async Task<IReadOnlyList<HostileHttpRun>> RunAsync(HttpClient client, int servicePid, IEnumerable<HostileCase> cases, string route = "/v1/detect", IProgress<HostileHttpRun>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(cases);
        var runs = new List<HostileHttpRun>();
        foreach (var hostile in cases)
        {
            var run = await RunOneAsync(client, servicePid, hostile, route).ConfigureAwait(false);
            runs.Add(run);
            progress?.Report(run);
        }

        return runs;
    }

    /// <summary>Everything wrong with a run: a hang, an answer of the wrong kind, or a problem without its code.</summary>
    public static IEnumerable<string> Problems(HostileHttpRun run, TimeSpan maxCpu, long maxResidentGrowth)
    {
        ArgumentNullException.ThrowIfNull(run);
        var hostile = run.Case;
        if (run.Hung)
        {
            yield return $"{hostile}: no answer within {HangAfter.TotalSeconds} s.";
            yield break;
        }

        var expected = hostile.Reason is { } reason ? ProblemCatalog.Image(new ImageDecodeException(reason, string.Empty)).Code : null;
        switch (hostile.Outcome)
        {
            case HostileOutcome.Decodes when run.Status != 200:
                yield return $"{hostile}: expected 200, got {run.Status} {run.Code}.";
                break;
            case HostileOutcome.Fails when run.Code != expected:
                yield return $"{hostile}: expected problem '{expected}', got {run.Status} {run.Code ?? "(no code)"}.";
                break;
            case HostileOutcome.Either when run.Status != 200 && run.Code is null:
                yield return $"{hostile}: answered {run.Status} without a problem code.";
                break;
        }

        if (run.Cpu > maxCpu)
        {
            yield return $"{hostile}: cost the service {run.Cpu.TotalMilliseconds:0} ms of CPU, beyond {maxCpu.TotalMilliseconds:0} ms.";
        }

        if (run.PeakResidentGrowth > maxResidentGrowth)
        {
            yield return $"{hostile}: the service's resident memory peaked {run.PeakResidentGrowth >> 20} MiB above its start, beyond {maxResidentGrowth >> 20} MiB.";
        }
    }

    private static async Task<HostileHttpRun> RunOneAsync(HttpClient client, int pid, HostileCase hostile, string route)
    {
        using var content = new ByteArrayContent(hostile.Data);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(hostile.ContentType);
        using var timeout = new CancellationTokenSource(HangAfter);
        ProcessStats.TryResetPeak(pid);
        var residentBefore = ProcessStats.ResidentBytes(pid);
        var cpuBefore = ProcessStats.Cpu(pid);
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await client.PostAsync(route, content, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            var elapsed = clock.Elapsed;
            var cpu = ProcessStats.Cpu(pid) - cpuBefore;
            var growth = Math.Max(0, ProcessStats.PeakResidentBytes(pid) - residentBefore);
            return new HostileHttpRun(hostile, (int)response.StatusCode, CodeOf(response, body), elapsed, cpu, growth);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return new HostileHttpRun(hostile, null, null, clock.Elapsed, ProcessStats.Cpu(pid) - cpuBefore, 0);
        }
    }

    private static string? CodeOf(HttpResponseMessage response, byte[] body)
    {
        if (response.StatusCode == HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return null;
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
    }
}
