using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.Runtime;

namespace Inference.Lambda.Aws;

/// <summary>
/// One AWS JSON 1.1 call: a POST of a JSON document with an <c>X-Amz-Target</c> header, signed with SigV4. Built
/// here because the service packages (AWSSDK.CodeDeploy, AWSSDK.ECS) are not served by this project's registry.
/// </summary>
public sealed class AwsJsonClient(HttpClient http, AwsEndpoint endpoint, Func<CancellationToken, Task<ImmutableCredentials>> credentials, TimeProvider? time = null)
{
    private const string ContentType = "application/x-amz-json-1.1";
    private readonly SigV4Signer _signer = new(endpoint.Region, endpoint.SigningName, credentials, time);

    public async Task<JsonDocument> CallAsync(string target, object body, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        var payload = JsonSerializer.SerializeToUtf8Bytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(payload) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        await _signer.SignAsync(request, payload, cancellationToken).ConfigureAwait(false);

        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw AwsServiceException.From((int)response.StatusCode, target, text);
        }

        return JsonDocument.Parse(text.Length == 0 ? "{}" : text);
    }
}

/// <summary>Where a service answers and how its requests are signed.</summary>
public sealed record AwsEndpoint(Uri Url, string Region, string SigningName)
{
    /// <summary>
    /// The service's regional endpoint, or the SDKs' standard overrides: <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>,
    /// then <c>AWS_ENDPOINT_URL</c> (how tests point the client at a loopback fake).
    /// </summary>
    public static AwsEndpoint Resolve(string serviceId, string signingName, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var region = environment("AWS_REGION") ?? environment("AWS_DEFAULT_REGION")
            ?? throw new InvalidOperationException("AWS_REGION is not set (Lambda always sets it).");
        var overridden = environment($"AWS_ENDPOINT_URL_{serviceId.ToUpperInvariant()}") ?? environment("AWS_ENDPOINT_URL");
        var url = overridden is { Length: > 0 } ? new Uri(overridden) : new Uri($"https://{signingName}.{region}.amazonaws.com/");
        return new AwsEndpoint(url, region, signingName);
    }
}

/// <summary>An AWS service answered with an error: its HTTP status and <c>__type</c>.</summary>
public sealed class AwsServiceException(string message, int status, string? errorType) : Exception(message)
{
    public int Status { get; } = status;

    public string? ErrorType { get; } = errorType;

    public static AwsServiceException From(int status, string target, string body)
    {
        string? type = null;
        string? detail = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            type = document.RootElement.TryGetProperty("__type", out var t) ? t.GetString() : null;
            detail = document.RootElement.TryGetProperty("message", out var m) || document.RootElement.TryGetProperty("Message", out m) ? m.GetString() : null;
        }
        catch (JsonException)
        {
            detail = body;
        }

        return new AwsServiceException($"{target} failed with HTTP {status} {type}: {detail}", status, type);
    }
}
