using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Inference.Lambda.Runtime;

/// <summary>
/// The Lambda Runtime API, version 2018-06-01: next, response, error and init error. Hand-written because
/// Amazon.Lambda.RuntimeSupport is not served by this project's package registry; the protocol is four HTTP calls.
/// </summary>
public sealed class RuntimeApiClient
{
    private const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";
    private readonly HttpClient _http;

    /// <param name="http">Its <see cref="HttpClient.Timeout"/> must be infinite: <c>/next</c> blocks until an event arrives.</param>
    /// <param name="endpoint">The value of <c>AWS_LAMBDA_RUNTIME_API</c> (host:port).</param>
    public RuntimeApiClient(HttpClient http, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        _http = http;
        Base = new Uri($"http://{endpoint}/2018-06-01/runtime/");
    }

    public Uri Base { get; }

    public async Task<Invocation> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(Base, "invocation/next"), cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, HttpStatusCode.OK, "next", cancellationToken).ConfigureAwait(false);
        var headers = response.Headers;
        var requestId = Header(headers, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new RuntimeApiException("The next invocation has no Lambda-Runtime-Aws-Request-Id header.");
        var deadline = long.TryParse(Header(headers, "Lambda-Runtime-Deadline-Ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : throw new RuntimeApiException($"Invocation {requestId} has no valid Lambda-Runtime-Deadline-Ms header.");
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new Invocation(requestId, deadline, Header(headers, "Lambda-Runtime-Invoked-Function-Arn"), Header(headers, "Lambda-Runtime-Trace-Id"), payload);
    }

    public async Task RespondAsync(string requestId, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync(new Uri(Base, $"invocation/{Uri.EscapeDataString(requestId)}/response"), content, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, HttpStatusCode.Accepted, "response", cancellationToken).ConfigureAwait(false);
    }

    public Task ReportErrorAsync(string requestId, LambdaError error, CancellationToken cancellationToken) =>
        PostErrorAsync($"invocation/{Uri.EscapeDataString(requestId)}/error", error, cancellationToken);

    public Task ReportInitErrorAsync(LambdaError error, CancellationToken cancellationToken) =>
        PostErrorAsync("init/error", error, cancellationToken);

    private async Task PostErrorAsync(string path, LambdaError error, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Base, path)) { Content = JsonContent.Create(error) };
        request.Headers.TryAddWithoutValidation(ErrorTypeHeader, error.Category);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, HttpStatusCode.Accepted, path, cancellationToken).ConfigureAwait(false);
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, string call, CancellationToken cancellationToken)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new RuntimeApiException($"The Runtime API answered {(int)response.StatusCode} to '{call}': {body}");
        }
    }
}

/// <summary>The Runtime API refused a call; the process cannot go on and exits for Lambda to restart it.</summary>
public sealed class RuntimeApiException(string message) : Exception(message);
