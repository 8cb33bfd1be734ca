using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inference.Lambda.Detection;

/// <summary>
/// The parts of a Function URL / API Gateway HTTP API (payload format 2.0) event the handler reads. Header names
/// arrive lower-cased; a binary body arrives base64-encoded with <c>isBase64Encoded</c>.
/// </summary>
public sealed record HttpEvent
{
    [JsonPropertyName("rawPath")]
    public string? RawPath { get; init; }

    [JsonPropertyName("headers")]
    public Dictionary<string, string>? Headers { get; init; }

    [JsonPropertyName("queryStringParameters")]
    public Dictionary<string, string>? QueryStringParameters { get; init; }

    [JsonPropertyName("body")]
    public string? Body { get; init; }

    [JsonPropertyName("isBase64Encoded")]
    public bool IsBase64Encoded { get; init; }

    [JsonPropertyName("requestContext")]
    public HttpRequestContext? RequestContext { get; init; }

    public string Method => RequestContext?.Http?.Method?.ToUpperInvariant() ?? "POST";

    public string Path => "/" + (RequestContext?.Http?.Path ?? RawPath ?? "/").Trim('/');

    public string? ContentType => Headers?.FirstOrDefault(h => h.Key.Equals("content-type", StringComparison.OrdinalIgnoreCase)).Value;

    /// <exception cref="FormatException">A body flagged base64 that is not.</exception>
    public byte[] BodyBytes() =>
        Body is null ? [] : IsBase64Encoded ? Convert.FromBase64String(Body) : Encoding.UTF8.GetBytes(Body);

    /// <returns>Null when the payload is not an HTTP event (no request context).</returns>
    public static HttpEvent? TryParse(ReadOnlyMemory<byte> payload)
    {
        try
        {
            var parsed = JsonSerializer.Deserialize<HttpEvent>(payload.Span);
            return parsed?.RequestContext?.Http is null ? null : parsed;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

public sealed record HttpRequestContext([property: JsonPropertyName("http")] HttpDescription? Http);

public sealed record HttpDescription([property: JsonPropertyName("method")] string? Method, [property: JsonPropertyName("path")] string? Path);

/// <summary>The answer Lambda turns back into an HTTP response.</summary>
public sealed record HttpResult(
    [property: JsonPropertyName("statusCode")] int StatusCode,
    [property: JsonPropertyName("headers")] IReadOnlyDictionary<string, string> Headers,
    [property: JsonPropertyName("body")] string Body,
    [property: JsonPropertyName("isBase64Encoded")] bool IsBase64Encoded = false)
{
    public static HttpResult Json<T>(int status, T value, string contentType = "application/json") =>
        new(status, new Dictionary<string, string> { ["content-type"] = contentType }, JsonSerializer.Serialize(value, Core.Contracts.DetectionJson.Options));

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this);
}
