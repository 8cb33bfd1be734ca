using System.Diagnostics;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Core.Telemetry;
using SkiaSharp;

namespace Inference.Core.Pipeline;

/// <summary>
/// The facade every host calls: image bytes + options → detections per image in original pixels, with
/// timings per stage. Its pieces (<see cref="Prepare"/>, the detector run, <see cref="Postprocess"/>) are
/// public so that a scheduler can batch images from many requests through the same code.
/// </summary>
public sealed class DetectionPipeline
{
    public DetectionPipeline(OnnxDetector detector, ImageDecoder? decoder = null, int maxBatchSize = 8)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchSize);
        Detector = detector;
        Decoder = decoder ?? new ImageDecoder();
        MaxBatchSize = Math.Min(maxBatchSize, detector.StaticBatchSize ?? int.MaxValue);
    }

    public OnnxDetector Detector { get; }

    public ImageDecoder Decoder { get; }

    /// <summary>Images per model run when <see cref="Detect(IReadOnlyList{ReadOnlyMemory{byte}}, DetectionOptions, CancellationToken)"/> gets many.</summary>
    public int MaxBatchSize { get; }

    /// <summary>The request defaults the manifest declares.</summary>
    public DetectionOptions DefaultOptions => DetectionOptions.FromDefaults(Detector.Manifest.Postprocess);

    /// <summary>Decodes <paramref name="image"/> and letterboxes it straight into <paramref name="slot"/>.</summary>
    /// <exception cref="ImageDecodeException">The bytes are not an acceptable image.</exception>
    public PreparedImage Prepare(ReadOnlyMemory<byte> image, Span<float> slot, CancellationToken cancellationToken = default)
    {
        var (decoded, decodeMs) = Decode(image, cancellationToken);
        using (decoded)
        {
            var (transform, preprocessMs) = Letterbox(decoded, slot);
            return new PreparedImage(transform, decodeMs, preprocessMs);
        }
    }

    /// <summary>Decodes with the configured limits, at the DCT scale this model's input needs, in a <c>decode</c> span.</summary>
    /// <exception cref="ImageDecodeException">The bytes are not an acceptable image.</exception>
    public (DecodedImage Image, double Milliseconds) Decode(ReadOnlyMemory<byte> image, CancellationToken cancellationToken = default)
    {
        using var activity = InferenceTelemetry.Source.StartActivity("decode");
        var start = Stopwatch.GetTimestamp();
        try
        {
            var decoded = Decoder.Decode(image, ImageTarget.For(Detector.Input), cancellationToken);
            activity?.SetTag("image.width", decoded.Width).SetTag("image.height", decoded.Height).SetTag("image.format", decoded.Format);
            return (decoded, Milliseconds(start, Stopwatch.GetTimestamp()));
        }
        catch (ImageDecodeException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Reason.ToString());
            throw;
        }
    }

    /// <summary>Letterboxes a decoded image into one batch slot.</summary>
    public (LetterboxTransform Transform, double Milliseconds) Letterbox(DecodedImage image, Span<float> slot)
    {
        ArgumentNullException.ThrowIfNull(image);
        var start = Stopwatch.GetTimestamp();
        var transform = LetterboxTensorizer.Write(image, Detector.Input, slot);
        return (transform, Milliseconds(start, Stopwatch.GetTimestamp()));
    }

    /// <summary>Turns one image's slice of a batch output into detections in original pixels, in a <c>postprocess</c> span.</summary>
    public IReadOnlyList<Detection> Postprocess(DetectorOutput output, int index, in LetterboxTransform transform, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var activity = InferenceTelemetry.Source.StartActivity("postprocess");
        var detections = Detector.Postprocessor.Process(output.ForImage(index), transform, options);
        activity?.SetTag("detections", detections.Count);
        return detections;
    }

    /// <summary>
    /// Runs a generated JPEG (large enough to take the DCT-scaled path) and a PNG through every stage once, so the
    /// first real request does not pay for loading Skia's codecs and compiling the decode, letterbox and output
    /// decoder paths.
    /// </summary>
    public void WarmUp()
    {
        foreach (var (format, width, height) in new[] { (SKEncodedImageFormat.Jpeg, 1280, 960), (SKEncodedImageFormat.Png, 64, 48) })
        {
            using var bitmap = new SKBitmap(width, height);
            bitmap.Erase(new SKColor(90, 120, 150));
            using var encoded = bitmap.Encode(format, 90);
            Detect(encoded.ToArray());
        }
    }

    /// <summary>Checks request options against this model; an empty list means they are valid.</summary>
    public IReadOnlyList<string> Validate(DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Validate(Detector.ClassNames.Count);
    }

    public ImageDetections Detect(ReadOnlyMemory<byte> image, DetectionOptions? options = null) =>
        Detect([image], options)[0];

    /// <exception cref="ImageDecodeException">An image is not acceptable; <see cref="ImageDecodeException.ImageIndex"/> says which.</exception>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    public IReadOnlyList<ImageDetections> Detect(IReadOnlyList<ReadOnlyMemory<byte>> images, DetectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        options ??= DefaultOptions;
        if (Validate(options) is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        var results = new List<ImageDetections>(images.Count);
        for (var start = 0; start < images.Count; start += MaxBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(MaxBatchSize, images.Count - start);
            RunBatch(images, start, count, options, results, cancellationToken);
        }

        return results;
    }

    private void RunBatch(IReadOnlyList<ReadOnlyMemory<byte>> images, int start, int count, DetectionOptions options, List<ImageDetections> results, CancellationToken cancellationToken)
    {
        using var batch = Detector.RentBatch(count);
        var prepared = PrepareAll(images, start, batch, cancellationToken);

        var inferenceStart = Stopwatch.GetTimestamp();
        DetectorOutput output;
        using (var activity = InferenceTelemetry.Source.StartActivity("inference"))
        {
            activity?.SetTag("batch.size", count);
            output = Detector.Run(batch);
        }

        using var _ = output;
        var inferenceMs = Milliseconds(inferenceStart, Stopwatch.GetTimestamp());

        for (var i = 0; i < count; i++)
        {
            var postStart = Stopwatch.GetTimestamp();
            var detections = Postprocess(output, i, prepared[i].Transform, options);
            var timings = new StageTimings(prepared[i].DecodeMs, prepared[i].PreprocessMs, inferenceMs, Milliseconds(postStart, Stopwatch.GetTimestamp()));
            results.Add(new ImageDetections(prepared[i].Transform.SourceWidth, prepared[i].Transform.SourceHeight, detections, timings));
        }
    }

    private PreparedImage[] PrepareAll(IReadOnlyList<ReadOnlyMemory<byte>> images, int start, BatchTensor batch, CancellationToken cancellationToken)
    {
        var prepared = new PreparedImage[batch.BatchSize];
        var failures = new ImageDecodeException?[batch.BatchSize];
        Parallel.For(0, batch.BatchSize, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            try
            {
                prepared[i] = Prepare(images[start + i], batch.Slot(i), cancellationToken);
            }
            catch (ImageDecodeException ex)
            {
                failures[i] = ex;
            }
        });

        // Report the first bad image by its position in the request, however the threads finished.
        for (var i = 0; i < failures.Length; i++)
        {
            if (failures[i] is { } failure)
            {
                throw images.Count == 1 ? failure : failure.WithImageIndex(start + i);
            }
        }

        return prepared;
    }

    internal static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
