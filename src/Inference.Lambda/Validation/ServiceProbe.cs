using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Inference.Core.Contracts;
using Inference.Core.Telemetry;
using Inference.Lambda.Aws;

namespace Inference.Lambda.Validation;

/// <summary>
/// The checks a release must pass on the new version before traffic moves, cheapest first, stopping at the first
/// failure: readiness, the model it serves (name, version, SHA-256), the manifest's golden checks, and the p95
/// latency of N sequential detect requests against a budget.
/// </summary>
public sealed class ServiceProbe(HttpClient http, ValidatorSettings settings, SigV4Signer? signer = null, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>A release passes only when every check ran and passed.</summary>
    public static bool Passed(IReadOnlyList<CheckResult> results) =>
        results.Count == CheckCount && results.All(r => r.Passed);

    private const int CheckCount = 4;

    public async Task<IReadOnlyList<CheckResult>> RunAsync(CancellationToken cancellationToken)
    {
        var results = new List<CheckResult>();
        foreach (var check in new Func<CancellationToken, Task<(bool, string)>>[] { ReadyAsync, ModelAsync, GoldenAsync, LatencyAsync })
        {
            var name = check.Method.Name.Replace("Async", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
            var started = _time.GetTimestamp();
            bool passed;
            string detail;
            try
            {
                (passed, detail) = await check(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TimeoutException or JsonException or IOException)
            {
                (passed, detail) = (false, $"{ex.GetType().Name}: {ex.Message}");
            }

            results.Add(new CheckResult(name, passed, detail, Math.Round(_time.GetElapsedTime(started).TotalMilliseconds, 1)));
            if (!passed)
            {
                break;
            }
        }

        return results;
    }

    private async Task<(bool, string)> ReadyAsync(CancellationToken cancellationToken)
    {
        var (status, body) = await GetAsync("health/ready", cancellationToken).ConfigureAwait(false);
        return status == HttpStatusCode.OK
            ? (true, "ready")
            : (false, $"/health/ready answered {(int)status}: {Excerpt(body)}");
    }

    private async Task<(bool, string)> ModelAsync(CancellationToken cancellationToken)
    {
        var (status, body) = await GetAsync("v1/model", cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.OK)
        {
            return (false, $"/v1/model answered {(int)status}: {Excerpt(body)}");
        }

        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var served = new ExpectedModel(Text(root, "name"), Text(root, "version"), Text(root, "sha256"));
        var expected = settings.Expected;
        var mismatches = new[]
            {
                ("name", expected.Name, served.Name),
                ("version", expected.Version, served.Version),
                ("sha256", expected.Sha256, served.Sha256),
            }
            .Where(m => !string.Equals(m.Item2, m.Item3, StringComparison.OrdinalIgnoreCase))
            .Select(m => $"{m.Item1} is '{m.Item3}', expected '{m.Item2}'")
            .ToArray();
        return mismatches.Length == 0
            ? (true, $"serves {served.Name} {served.Version} ({served.Sha256})")
            : (false, $"The new version serves another model: {string.Join("; ", mismatches)}.");
    }

    private async Task<(bool, string)> GoldenAsync(CancellationToken cancellationToken)
    {
        var (status, body) = await GetAsync("health/golden", cancellationToken).ConfigureAwait(false);
        GoldenResponse? golden = null;
        try
        {
            golden = JsonSerializer.Deserialize<GoldenResponse>(body, DetectionJson.Options);
        }
        catch (JsonException)
        {
            // Not the golden document (a problem+json, say): reported with the status below.
        }

        var checks = golden?.Models.SelectMany(m => m.Checks.Select(c => (Model: m.Id, Check: c))).ToArray() ?? [];
        if (status == HttpStatusCode.OK && golden is { Passed: true })
        {
            var warnings = golden.Models.Where(m => m.Warning is not null).Select(m => $"{m.Id}: {m.Warning}").ToArray();
            return (true, warnings.Length > 0 ? string.Join(" ", warnings) : $"{checks.Length} golden image(s) passed");
        }

        var failures = checks.Where(c => !c.Check.Passed).Select(c => $"{c.Model}/{c.Check.Image}: {string.Join(", ", c.Check.Problems)}");
        return (false, $"/health/golden answered {(int)status}: {(golden is null ? Excerpt(body) : string.Join("; ", failures))}");
    }

    private async Task<(bool, string)> LatencyAsync(CancellationToken cancellationToken)
    {
        var image = await File.ReadAllBytesAsync(settings.ImagePath, cancellationToken).ConfigureAwait(false);
        var mediaType = Path.GetExtension(settings.ImagePath).Equals(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg";
        var timings = new List<double>(settings.Requests);
        for (var i = 0; i < settings.Requests; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await SendAsync(HttpMethod.Post, "v1/detect", (image, mediaType), cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (false, $"Detect request {i + 1} of {settings.Requests} answered {(int)response.StatusCode}: {Excerpt(body)}");
            }
        }

        timings.Sort();
        var p50 = Statistics.Percentile(timings, 0.50);
        var p95 = Statistics.Percentile(timings, 0.95);
        var summary = string.Create(CultureInfo.InvariantCulture, $"{settings.Requests} detect requests: p50 {p50:0.0} ms, p95 {p95:0.0} ms, max {timings[^1]:0.0} ms; budget p95 {settings.P95BudgetMs:0} ms");
        return (p95 <= settings.P95BudgetMs, summary);
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    // Every call has its own timeout, so one hung request fails its check instead of using up the invocation.
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, (byte[] Bytes, string MediaType)? body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.RequestTimeout);
        using var request = new HttpRequestMessage(method, new Uri(Base, path));
        if (body is { } content)
        {
            request.Content = new ByteArrayContent(content.Bytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(content.MediaType);
        }

        if (signer is not null)
        {
            await signer.SignAsync(request, body?.Bytes ?? [], timeout.Token).ConfigureAwait(false);
        }

        try
        {
            return await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{method} /{path} did not answer within {settings.RequestTimeout.TotalMilliseconds:0} ms.");
        }
    }

    private Uri Base => settings.TargetUrl.AbsoluteUri.EndsWith('/') ? settings.TargetUrl : new Uri(settings.TargetUrl.AbsoluteUri + "/");

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Excerpt(string body) => body.Length <= 300 ? body : body[..300] + "…";
}
