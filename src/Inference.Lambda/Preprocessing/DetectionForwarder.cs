using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Inference.Core.Contracts;

namespace Inference.Lambda.Preprocessing;

/// <summary>What the service said about one image: its detections, or a problem that retrying cannot change.</summary>
public sealed record ServiceAnswer(DetectionResponse? Detections, JsonElement? Problem);

/// <summary>
/// The service is not answering this image now (429, 5xx, unreachable, too slow): the invocation fails, so that Lambda
/// retries the event and, after the retries, sends it to the dead-letter destination.
/// </summary>
public sealed class ServiceUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>Posts an image to the environment's service (<c>POST /v1/detect</c>, the same route and JSON as every client).</summary>
public sealed class DetectionForwarder(HttpClient http, PreprocessOptions options)
{
    /// <exception cref="ServiceUnavailableException">A failure a retry may not meet again.</exception>
    public async Task<ServiceAnswer> DetectAsync(UprightJpeg image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.RequestTimeoutMs);
        using var content = new ByteArrayContent(image.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        var target = new Uri(options.Service, "v1/detect");
        try
        {
            using var response = await http.PostAsync(target, content, deadline.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return new ServiceAnswer(JsonSerializer.Deserialize<DetectionResponse>(body, DetectionJson.Options)
                    ?? throw new ServiceUnavailableException($"{target} answered 200 with no detections document."), null);
            }

            // 4xx other than 408/429: the service refuses this image and will refuse it again.
            var status = (int)response.StatusCode;
            if (status is >= 400 and < 500 and not 408 and not 429)
            {
                return new ServiceAnswer(null, Problem(body, status));
            }

            throw new ServiceUnavailableException($"{target} answered {status}: {Describe(body)}");
        }
        catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ServiceUnavailableException($"{target} did not answer within Preprocess:RequestTimeoutMs ({options.RequestTimeoutMs} ms).", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ServiceUnavailableException($"{target} could not be reached: {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new ServiceUnavailableException($"{target} answered 200 with a body that is not the detections document: {ex.Message}", ex);
        }
    }

    private static JsonElement Problem(byte[] body, int status)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document.RootElement.Clone();
            }
        }
        catch (JsonException)
        {
        }

        return JsonSerializer.SerializeToElement(new { status, detail = Describe(body) });
    }

    private static string Describe(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300)).ReplaceLineEndings(" ");
        return text.Length == 0 ? "(no body)" : text;
    }
}
