using System.Text;
using Inference.Core.Contracts;
using Inference.Core.Inputs;
using Inference.Core.Serving;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.IO;
using Microsoft.Net.Http.Headers;

namespace Inference.Api.Detection;

/// <summary>
/// Reads a detect request into pooled buffers, within the configured limits:
/// <list type="bullet">
/// <item>multipart/form-data: one or more <c>image</c> parts; other parts are parameters (a form field wins over the query);</item>
/// <item>a raw image body (<c>image/*</c> or <c>application/octet-stream</c>), parameters in the query;</item>
/// <item>JSON (<c>application/json</c>): base64 images or URLs, as <see cref="JsonImageRequest"/> reads them on every front end.</item>
/// </list>
/// Each image lands in one pooled, contiguous buffer straight from the socket: no second copy.
/// </summary>
public sealed class DetectRequestReader(RequestBuffers buffers, RequestBodyGate bodies, ImageUrlFetcher fetcher)
{
    public const string ImageField = "image";
    public const string AcceptedTypes = "multipart/form-data with 'image' parts, a raw body as image/* or application/octet-stream, or application/json {\"image\": base64 or {\"type\": \"url\", \"value\": ...}}";

    // Parameters are short; anything longer in a form field is not a parameter.
    private const int MaxFieldBytes = 16 * 1024;
    private const int MaxFields = 32;

    /// <param name="imageField">The multipart part images come in (Roboflow's hosted API names it <c>file</c>).</param>
    /// <param name="parameters">Where parameters come from besides the body; the query string when null.</param>
    /// <exception cref="RequestProblemException">The request cannot be read; its problem says why.</exception>
    public async Task<DetectRequest> ReadAsync(HttpRequest request, LimitsOptions limits, CancellationToken cancellationToken, string imageField = ImageField, ParameterSource? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(limits);
        var source = parameters ?? new ParameterSource(name => request.Query[name], request.Query.Keys);
        var lease = Admit(request, limits);
        var media = MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed : null;
        var read = false;
        try
        {
            DetectRequest detect;
            if (media?.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
            {
                detect = await ReadMultipartAsync(request, media, limits, imageField, source, lease, cancellationToken).ConfigureAwait(false);
            }
            else if (media?.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) == true)
            {
                using var body = await ReadBodyAsync(request.Body, request.ContentLength, cancellationToken).ConfigureAwait(false);
                detect = await JsonImageRequest.ReadAsync(Contents(body), limits.MaxImagesPerRequest, fetcher, source, cancellationToken, [lease]).ConfigureAwait(false);
            }
            else if (media is not null && IsRawImage(media.MediaType.Value))
            {
                var body = await ReadBodyAsync(request.Body, request.ContentLength, cancellationToken).ConfigureAwait(false);
                detect = new DetectRequest([Contents(body)], false, source.Lookup, [body, lease], source.Names);
            }
            else
            {
                throw new RequestProblemException(ProblemCatalog.UnsupportedMediaType(request.ContentType, AcceptedTypes));
            }

            read = true;
            return detect;
        }
        catch (Exception ex) when (ReadFailure(ex, limits) is { } problem)
        {
            throw new RequestProblemException(problem);
        }
        finally
        {
            // On success the request owns the lease and gives it back with its buffers.
            if (!read)
            {
                lease.Dispose();
            }
        }
    }

    /// <summary>
    /// The whole body in one pooled buffer, within the same limits and body budget, for front ends that parse it
    /// themselves (Roboflow's JSON, the Open Inference Protocol); dispose it to give the buffer and budget back.
    /// </summary>
    /// <exception cref="RequestProblemException">The body is over Limits:MaxBodyBytes, the budget is spent, or it breaks off.</exception>
    public async Task<RequestBody> ReadRawAsync(HttpRequest request, LimitsOptions limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(limits);
        var lease = Admit(request, limits);
        try
        {
            return new RequestBody(await ReadBodyAsync(request.Body, request.ContentLength, cancellationToken).ConfigureAwait(false), lease);
        }
        catch (Exception ex) when (ReadFailure(ex, limits) is { } problem)
        {
            lease.Dispose();
            throw new RequestProblemException(problem);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>image/*, application/octet-stream, or application/x-image (what SageMaker's image algorithms send).</summary>
    public static bool IsRawImage(string? mediaType) =>
        mediaType is not null && (mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/x-image", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The contents of a body buffer: GetBuffer makes them contiguous, which is free when the stream was created
    /// contiguous (a known length) and one copy otherwise.
    /// </summary>
    public static ReadOnlyMemory<byte> Contents(RecyclableMemoryStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return stream.GetBuffer().AsMemory(0, (int)stream.Length);
    }

    /// <summary>
    /// Admits a body before a byte of it is read: what the service holds in bodies is bounded whatever the
    /// concurrency, and an oversized declared length is refused at once.
    /// </summary>
    private MemoryGate.Lease Admit(HttpRequest request, LimitsOptions limits)
    {
        if (request.ContentLength > limits.MaxBodyBytes)
        {
            throw new RequestProblemException(ProblemCatalog.BodyTooLarge(limits.MaxBodyBytes));
        }

        return bodies.Gate.TryEnter(request.ContentLength ?? limits.MaxBodyBytes)
            ?? throw new RequestProblemException(ProblemCatalog.BodiesFull(bodies.Gate.MaxBytes));
    }

    /// <summary>What Kestrel and the multipart reader throw for a body that cannot be read, as a problem.</summary>
    private static Problem? ReadFailure(Exception exception, LimitsOptions limits) => exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => ProblemCatalog.BodyTooLarge(limits.MaxBodyBytes),
        BadHttpRequestException bad => ProblemCatalog.MalformedBody(bad.Message),

        // The multipart reader's own complaints: a missing boundary, a body that ends mid-part, oversized headers.
        InvalidDataException or IOException => ProblemCatalog.MalformedBody($"The body could not be read: {exception.Message}"),
        _ => null,
    };

    private async Task<DetectRequest> ReadMultipartAsync(HttpRequest request, MediaTypeHeaderValue media, LimitsOptions limits, string imageField, ParameterSource source, MemoryGate.Lease lease, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary))
        {
            throw new RequestProblemException(ProblemCatalog.MalformedBody("The multipart body has no boundary in its Content-Type."));
        }

        var images = new List<RecyclableMemoryStream>();
        var fields = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        var completed = false;
        try
        {
            var reader = new MultipartReader(boundary, request.Body);
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || disposition.Name.Value is not { Length: > 0 } name)
                {
                    throw new RequestProblemException(ProblemCatalog.MalformedBody("A multipart part has no Content-Disposition name."));
                }

                name = HeaderUtilities.RemoveQuotes(name).Value!;
                if (name == imageField)
                {
                    if (images.Count == limits.MaxImagesPerRequest)
                    {
                        throw new RequestProblemException(ProblemCatalog.TooManyImages(images.Count + 1, limits.MaxImagesPerRequest));
                    }

                    images.Add(await ReadBodyAsync(section.Body, null, cancellationToken).ConfigureAwait(false));
                }
                else
                {
                    if (fields.Count == MaxFields)
                    {
                        throw new RequestProblemException(ProblemCatalog.MalformedBody($"The multipart body has more than {MaxFields} fields besides '{imageField}'."));
                    }

                    fields[name] = StringValues.Concat(fields.GetValueOrDefault(name), await ReadFieldAsync(section.Body, name, cancellationToken).ConfigureAwait(false));
                }
            }

            if (images.Count == 0)
            {
                throw new RequestProblemException(ProblemCatalog.MalformedBody(fields.Count == 0
                    ? $"The multipart body has no '{imageField}' part."
                    : $"The multipart body has no '{imageField}' part (it has: {string.Join(", ", fields.Keys)})."));
            }

            completed = true;
            return new DetectRequest(
                [.. images.Select(Contents)],
                images.Count > 1,
                name => fields.TryGetValue(name, out var value) ? value : source.Lookup(name),
                [.. images, lease],
                fields.Keys.Concat(source.Names));
        }
        finally
        {
            if (!completed)
            {
                images.ForEach(i => i.Dispose());
            }
        }
    }

    private static async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var length = 0;
        int read;
        while ((read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
            if (length > MaxFieldBytes)
            {
                throw new RequestProblemException(ProblemCatalog.MalformedBody($"The form field '{name}' is longer than {MaxFieldBytes} bytes."));
            }
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>
    /// Copies a body into one pooled buffer. With a known length the buffer is contiguous from the start; Kestrel
    /// enforces Limits:MaxBodyBytes while this reads, chunked bodies included.
    /// </summary>
    private async Task<RecyclableMemoryStream> ReadBodyAsync(Stream body, long? length, CancellationToken cancellationToken)
    {
        var stream = buffers.Pools.GetStream(Guid.Empty, "request-body", length ?? 0, asContiguousBuffer: true);
        try
        {
            await body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
