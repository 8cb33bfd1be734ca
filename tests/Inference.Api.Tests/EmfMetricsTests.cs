using System.Text.Json;
using System.Threading.Channels;
using Inference.Api.Hosting;
using Inference.Api.Observability;
using Inference.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Api.Tests;

/// <summary>
/// The queue depth the ECS service scales on, published in CloudWatch's embedded metric format: one valid EMF line
/// per interval with the images waiting now, nothing when it is off, and a boot that refuses an unnamed service.
/// </summary>
public sealed class EmfMetricsTests
{
    private static readonly EmfOptions Enabled = new() { Enabled = true, Service = "detector-staging", IntervalSeconds = 10 };

    [Fact]
    public async Task Each_interval_writes_one_emf_document_with_the_images_waiting_then()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var queued = 0;
        using var output = new LineWriter();
        using var publisher = new EmfPublisher(Options.Create(Enabled), () => queued, time, output);
        await publisher.StartAsync(CancellationToken.None);

        queued = 7;
        time.Advance(TimeSpan.FromSeconds(10));
        var first = await output.Lines.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        queued = 0;
        time.Advance(TimeSpan.FromSeconds(10));
        var second = await output.Lines.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await publisher.StopAsync(CancellationToken.None);

        Assert.Empty(EmfProblems(first));
        var document = JsonDocument.Parse(first).RootElement;
        Assert.Equal(7, document.GetProperty("QueuedImages").GetInt32());
        Assert.Equal("detector-staging", document.GetProperty("Service").GetString());
        Assert.Equal(time.GetUtcNow().AddSeconds(-10).ToUnixTimeMilliseconds(), document.GetProperty("_aws").GetProperty("Timestamp").GetInt64());
        Assert.Equal(0, JsonDocument.Parse(second).RootElement.GetProperty("QueuedImages").GetInt32());
        Assert.DoesNotContain('\n', first);
    }

    [Fact]
    public async Task Nothing_is_written_when_it_is_off()
    {
        var time = new FakeTimeProvider();
        using var output = new LineWriter();
        using var publisher = new EmfPublisher(Options.Create(new EmfOptions()), () => 3, time, output);

        await publisher.StartAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(5));

        await publisher.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(publisher.ExecuteTask.IsCompletedSuccessfully);
        Assert.False(output.Lines.TryRead(out _));
    }

    [Fact]
    public void A_document_missing_what_cloudwatch_needs_is_caught()
    {
        var good = EmfPublisher.Document(Enabled, DateTimeOffset.UnixEpoch, 1);

        Assert.Empty(EmfProblems(good));
        Assert.Contains(EmfProblems(good.Replace("\"Service\":\"detector-staging\",", string.Empty, StringComparison.Ordinal)), p => p.Contains("dimension Service", StringComparison.Ordinal));
        Assert.Contains(EmfProblems(good.Replace("\"QueuedImages\":1", "\"QueuedImages\":\"1\"", StringComparison.Ordinal)), p => p.Contains("metric QueuedImages", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_service_process_writes_the_documents_to_standard_output_for_the_awslogs_driver()
    {
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Emf__Enabled"] = "true",
            ["Emf__Service"] = "detector-test",
            ["Emf__IntervalSeconds"] = "1",
        });
        await api.WaitUntilReadyAsync();

        var line = await ApiLineAsync(api, l => l.StartsWith("{\"_aws\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        Assert.Empty(EmfProblems(line));
        Assert.Equal(0, JsonDocument.Parse(line).RootElement.GetProperty("QueuedImages").GetInt32());
    }

    [Fact]
    public async Task Turning_it_on_without_naming_the_service_stops_the_boot_with_one_sentence()
    {
        var (exitCode, output) = await ApiProcess.RunToExitAsync(new Dictionary<string, string> { ["Emf__Enabled"] = "true" }, TimeSpan.FromSeconds(60));

        Assert.Equal(StartupFailure.ExitCode, exitCode);
        Assert.Contains("Emf:Service must name the service", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// CloudWatch's embedded metric format specification: a root <c>_aws</c> with a millisecond <c>Timestamp</c> and
    /// <c>CloudWatchMetrics</c> directives (a namespace, dimension sets and metrics); each dimension is a root string
    /// member and each metric a root number.
    /// </summary>
    public static IReadOnlyList<string> EmfProblems(string line)
    {
        var problems = new List<string>();
        var root = JsonDocument.Parse(line).RootElement;
        if (!root.TryGetProperty("_aws", out var aws) || !aws.TryGetProperty("Timestamp", out var timestamp) || timestamp.ValueKind != JsonValueKind.Number)
        {
            return ["no _aws.Timestamp in milliseconds"];
        }

        foreach (var directive in aws.GetProperty("CloudWatchMetrics").EnumerateArray())
        {
            if (directive.GetProperty("Namespace").GetString() is not { Length: > 0 })
            {
                problems.Add("a directive without a namespace");
            }

            foreach (var name in directive.GetProperty("Dimensions").EnumerateArray().SelectMany(set => set.EnumerateArray()).Select(d => d.GetString()!))
            {
                if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
                {
                    problems.Add($"dimension {name} is not a root string member");
                }
            }

            foreach (var metric in directive.GetProperty("Metrics").EnumerateArray().Select(m => m.GetProperty("Name").GetString()!))
            {
                if (!root.TryGetProperty(metric, out var value) || value.ValueKind != JsonValueKind.Number)
                {
                    problems.Add($"metric {metric} is not a root number");
                }
            }
        }

        return problems;
    }

    private static async Task<string> ApiLineAsync(ApiProcess api, Func<string, bool> match, TimeSpan patience)
    {
        using var deadline = new CancellationTokenSource(patience);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (await tick.WaitForNextTickAsync(deadline.Token))
        {
            if (api.Lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }
        }

        throw new TimeoutException("The service wrote no EMF document.");
    }

    /// <summary>Standard output, line by line as the publisher writes them.</summary>
    private sealed class LineWriter : StringWriter
    {
        private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

        public ChannelReader<string> Lines => _lines.Reader;

        public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            _lines.Writer.TryWrite(buffer.ToString());
            return Task.CompletedTask;
        }
    }
}
