using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.S3;
using Amazon.S3.Model;
using Inference.Core.Contracts;
using Inference.Core.Imaging;
using Inference.Core.Postprocessing;
using Inference.Core.Serving;
using Inference.Lambda.Runtime;

namespace Inference.Lambda.Preprocessing;

/// <summary>
/// Quick pre-processing in front of the environment's ECS service: for each uploaded object of an S3 notification,
/// read it (within <c>Limits:MaxBodyBytes</c>), validate, EXIF-orient and shrink it with the service's own decoder,
/// send the upright JPEG to the service's <c>/v1/detect</c>, and write the detections (in the upload's upright pixels)
/// as JSON under <c>Preprocess:ResultsPrefix</c>. An image the decoder or the service refuses gets a result holding the
/// problem (retrying would refuse it again); a service that is down or an S3 failure fails the invocation, so that
/// Lambda's retries and dead-letter destination (deploy/lambda/preprocess.yaml) take over.
/// </summary>
public sealed partial class PreprocessHandler(
    IAmazonS3 s3,
    ImageDecoder decoder,
    DetectionForwarder forwarder,
    PreprocessOptions options,
    LimitsOptions limits,
    ILogger<PreprocessHandler> logger) : IInvocationHandler
{
    public static readonly JsonSerializerOptions Json = new(DetectionJson.Options) { WriteIndented = false };

    public async Task<byte[]> HandleAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var outcomes = new List<Outcome>();
        foreach (var upload in S3UploadEvent.Parse(invocation.Payload))
        {
            if (options.IsResult(upload.Key))
            {
                LogSkipped(logger, upload.Bucket, upload.Key);
                outcomes.Add(new Outcome(upload.Key, "skipped", null));
                continue;
            }

            outcomes.Add(await ProcessAsync(upload, cancellationToken).ConfigureAwait(false));
        }

        return JsonSerializer.SerializeToUtf8Bytes(new { results = outcomes }, Json);
    }

    private async Task<Outcome> ProcessAsync(S3Upload upload, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var source = new SourceObject(upload.Bucket, upload.Key, upload.VersionId, null, null, null);
        Result result;
        var bytes = await ReadAsync(upload, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            result = new Result(source, null, null, null, Document(ProblemCatalog.BodyTooLarge(limits.MaxBodyBytes)), null);
        }
        else
        {
            try
            {
                var (image, format, width, height) = UprightJpegEncoder.Encode(decoder, bytes, options.MaxSide, options.JpegQuality, cancellationToken);
                source = source with { Format = format, Width = width, Height = height };
                var prepared = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var answer = await forwarder.DetectAsync(image, cancellationToken).ConfigureAwait(false);
                var sent = new SentImage(image.Width, image.Height, image.Bytes.Length);
                var timings = new PreprocessTimings(Math.Round(prepared, 3), Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds - prepared, 3));
                result = answer.Detections is { } detected
                    ? new Result(source, sent, detected.Model, InSourcePixels(detected, width, height), null, timings)
                    : new Result(source, sent, null, null, answer.Problem, timings);
            }
            catch (ImageDecodeException ex)
            {
                result = new Result(source, null, null, null, Document(ProblemCatalog.Image(ex)), null);
            }
        }

        var resultKey = options.ResultKey(upload.Key);
        await s3.PutObjectAsync(
            new PutObjectRequest
            {
                BucketName = upload.Bucket,
                Key = resultKey,
                ContentBody = JsonSerializer.Serialize(result, Json),
                ContentType = "application/json",
            },
            cancellationToken).ConfigureAwait(false);
        var status = result.Problem is null ? "detected" : "rejected";
        LogProcessed(logger, upload.Bucket, upload.Key, status, result.Detections?.Count ?? 0, resultKey);
        return new Outcome(upload.Key, status, resultKey);
    }

    /// <summary>The object's bytes, or null when it is larger than Limits:MaxBodyBytes (read no further than that).</summary>
    private async Task<byte[]?> ReadAsync(S3Upload upload, CancellationToken cancellationToken)
    {
        if (upload.Size > limits.MaxBodyBytes)
        {
            return null;
        }

        using var response = await s3.GetObjectAsync(
            new GetObjectRequest { BucketName = upload.Bucket, Key = upload.Key, VersionId = upload.VersionId },
            cancellationToken).ConfigureAwait(false);
        if (response.ContentLength > limits.MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream((int)Math.Max(0, response.ContentLength));
        var chunk = new byte[81920];
        int read;
        while ((read = await response.ResponseStream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limits.MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The service reports boxes in the pixels it was sent; the result reports them in the upload's upright pixels.</summary>
    private static DetectedObject[] InSourcePixels(DetectionResponse detected, int width, int height)
    {
        var sx = (float)width / detected.Image.Width;
        var sy = (float)height / detected.Image.Height;
        return detected.Detections
            .Select(d => d with
            {
                Box = new BoundingBox(
                    Math.Clamp(d.Box.X1 * sx, 0, width),
                    Math.Clamp(d.Box.Y1 * sy, 0, height),
                    Math.Clamp(d.Box.X2 * sx, 0, width),
                    Math.Clamp(d.Box.Y2 * sy, 0, height)),
            })
            .ToArray();
    }

    private static JsonElement Document(Problem problem) => JsonSerializer.SerializeToElement(problem.ToDocument(null), DetectionJson.Options);

    [LoggerMessage(Level = LogLevel.Information, Message = "s3://{Bucket}/{Key} is a result of this function; skipped")]
    private static partial void LogSkipped(ILogger logger, string bucket, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "s3://{Bucket}/{Key}: {Status}, {Count} detections, written to {ResultKey}")]
    private static partial void LogProcessed(ILogger logger, string bucket, string key, string status, int count, string resultKey);

    private sealed record Outcome(string Key, string Status, string? ResultKey);

    private sealed record SourceObject(string Bucket, string Key, string? VersionId, string? Format, int? Width, int? Height);

    private sealed record SentImage(int Width, int Height, int Bytes);

    private sealed record PreprocessTimings(double PreprocessMs, double ServiceMs);

    private sealed record Result(
        SourceObject Source,
        SentImage? Sent,
        ModelSummary? Model,
        IReadOnlyList<DetectedObject>? Detections,
        JsonElement? Problem,
        [property: JsonPropertyName("timings")] PreprocessTimings? Timings);
}
