using System.Diagnostics;
using Inference.Core.Backends;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Core.Repository;
using Inference.Core.Scheduling;
using Inference.Core.Telemetry;
using SkiaSharp;

namespace Inference.Core.Serving;

/// <summary>
/// The one request path, for every front end: admission → decode (budgeted, gated) → letterbox straight into a
/// reserved batch slot → wait for the batch → postprocess → release. Nothing outside it touches pooled buffers:
/// front ends hand in bytes and options and get plain results back.
/// </summary>
public sealed class DetectionService(ImageDecoder decoder, MemoryGate gate, IDetectionObserver? observer = null, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public ImageDecoder Decoder => decoder;

    public Task<DetectionResult> DetectAsync(ServedModel model, ReadOnlyMemory<byte> image, DetectionOptions options, CancellationToken cancellationToken = default) =>
        DetectOneAsync(model, image, options, observed: true, cancellationToken);

    /// <summary>
    /// Detects on every image of one request: all are admitted together (so a request is refused whole or not at
    /// all), then decoded in parallel and batched with everyone else's.
    /// </summary>
    /// <exception cref="ImageDecodeException">An image is not acceptable; <see cref="ImageDecodeException.ImageIndex"/> says which when there are several.</exception>
    /// <exception cref="QueueFullException">The model's queue is full (429).</exception>
    /// <exception cref="SchedulerStoppedException">The service is shutting down (503).</exception>
    /// <exception cref="ModelFailedException">The model can no longer serve (503).</exception>
    /// <exception cref="BatchFailedException">The backend failed this batch (500).</exception>
    public Task<IReadOnlyList<DetectionResult>> DetectAsync(ServedModel model, IReadOnlyList<ReadOnlyMemory<byte>> images, DetectionOptions options, CancellationToken cancellationToken = default) =>
        DetectManyAsync(model, images, options, observed: true, cancellationToken);

    /// <summary>
    /// Detects on images a front end admitted itself, before it read the request's body (so a request refused for
    /// a full queue costs no upload buffering); the admission is extended to cover every image.
    /// </summary>
    public async Task<IReadOnlyList<DetectionResult>> DetectAsync(
        ServedModel model, BatchScheduler<BatchTensor, BatchOutput>.Admission admission, IReadOnlyList<ReadOnlyMemory<byte>> images, DetectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(admission);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        admission.EnsureRoomFor(images.Count);
        return await DetectAdmittedAsync(model, admission, images, options, observed: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<DetectionResult>> DetectManyAsync(ServedModel model, IReadOnlyList<ReadOnlyMemory<byte>> images, DetectionOptions options, bool observed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfZero(images.Count);
        using var admission = model.Scheduler.Admit(images.Count);
        return await DetectAdmittedAsync(model, admission, images, options, observed, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<DetectionResult>> DetectAdmittedAsync(
        ServedModel model, BatchScheduler<BatchTensor, BatchOutput>.Admission admission, IReadOnlyList<ReadOnlyMemory<byte>> images, DetectionOptions options, bool observed, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(images.Count);
        if (images.Count == 1)
        {
            return [await DetectAdmittedAsync(model, admission, images[0], options, observed, cancellationToken).ConfigureAwait(false)];
        }

        var tasks = new Task<DetectionResult>[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            tasks[i] = Task.Run(() => DetectAdmittedAsync(model, admission, image, options, observed, cancellationToken), cancellationToken);
        }

        try
        {
            return await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            // A bad image is the most useful thing to report, by its position in the request.
            for (var i = 0; i < tasks.Length; i++)
            {
                if (tasks[i].Exception?.InnerException is ImageDecodeException failure)
                {
                    throw failure.WithImageIndex(i);
                }
            }

            throw;
        }
    }

    /// <summary>
    /// Runs a small generated JPEG and PNG through every stage, so the first real request does not pay for compiling
    /// the decoders, the letterbox and the postprocessing. Each goes as a full batch, which runs at once whatever the
    /// max delay, through the multi-image path.
    /// </summary>
    public async Task WarmUpAsync(ServedModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var copies = Math.Min(model.Scheduler.MaxBatchSize, model.Scheduler.Options.MaxQueue);

        // A JPEG large enough to take the DCT-scaled path (where the limits allow it), and a small PNG.
        var jpeg = decoder.Limits.Allows(1280, 960) ? (1280, 960) : (64, 48);
        foreach (var (format, width, height) in new[] { (SKEncodedImageFormat.Jpeg, jpeg.Item1, jpeg.Item2), (SKEncodedImageFormat.Png, 64, 48) })
        {
            using var bitmap = new SKBitmap(width, height);
            bitmap.Erase(new SKColor(90, 120, 150));
            using var encoded = bitmap.Encode(format, 90);
            ReadOnlyMemory<byte> bytes = encoded.ToArray();
            await DetectManyAsync(model, [.. Enumerable.Repeat(bytes, copies)], model.DefaultOptions, observed: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The manifest's golden checks, through the scheduler exactly as client traffic goes.</summary>
    public Task<IReadOnlyList<GoldenCheckResult>> RunGoldenChecksAsync(ServedModel model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return GoldenChecks.RunAsync(
            model.Manifest,
            model.DefaultOptions,
            async (image, options, token) => (await DetectOneAsync(model, image, options, observed: true, token).ConfigureAwait(false)).Detections,
            cancellationToken);
    }

    private async Task<DetectionResult> DetectOneAsync(ServedModel model, ReadOnlyMemory<byte> image, DetectionOptions options, bool observed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        using var admission = model.Scheduler.Admit(1);
        return await DetectAdmittedAsync(model, admission, image, options, observed, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DetectionResult> DetectAdmittedAsync(
        ServedModel model,
        BatchScheduler<BatchTensor, BatchOutput>.Admission admission,
        ReadOnlyMemory<byte> image,
        DetectionOptions options,
        bool observed,
        CancellationToken cancellationToken)
    {
        var decodeStart = _time.GetTimestamp();
        var fill = new SlotFill(model.Input);
        var target = ImageTarget.For(model.Input);

        // The header says what the decode will allocate before any pixel exists; the gate admits it against the
        // decode memory budget and the core count, and holds it until the pixels are in the slot and given back.
        var probe = decoder.Probe(image.Span, target);
        Task<SlotResult<BatchOutput>> pending;
        using (await gate.EnterAsync(probe.DecodeBytes, cancellationToken).ConfigureAwait(false))
        using (var decoded = Decode(model.Id, image, target, cancellationToken))
        {
            fill.Image = decoded;
            fill.DecodeMs = _time.GetElapsedTime(decodeStart).TotalMilliseconds;

            // The slot is written before SubmitAsync first yields, so the decoded pixels go back right after.
            pending = model.Scheduler.SubmitAsync(admission, fill, SlotFill.Write, cancellationToken);
        }

        using var slot = await pending.ConfigureAwait(false);
        RecordWaitSpans(model.Id, slot);
        var postprocessStart = _time.GetTimestamp();
        IReadOnlyList<Detection> detections;
        using (var activity = InferenceTelemetry.Source.StartActivity("postprocess"))
        {
            detections = model.Postprocessor.Process(slot.Output.ForImage(slot.Index), fill.Transform, options);
            activity?.SetTag("detections", detections.Count).SetTag("model", model.Id);
        }

        var timings = new DetectionTimings(
            fill.DecodeMs,
            fill.PreprocessMs,
            slot.QueueWait.TotalMilliseconds,
            slot.Run.Duration.TotalMilliseconds,
            _time.GetElapsedTime(postprocessStart).TotalMilliseconds,
            slot.Run.Size,
            slot.Run.Instance);
        if (observed)
        {
            observer?.ImageServed(model.Id, timings);
        }

        return new DetectionResult(fill.Transform.SourceWidth, fill.Transform.SourceHeight, detections, timings);
    }

    /// <summary>Decodes within the decoder's budget and the request's token, in a <c>decode</c> span.</summary>
    private DecodedImage Decode(string modelId, ReadOnlyMemory<byte> image, ImageTarget target, CancellationToken cancellationToken)
    {
        using var activity = InferenceTelemetry.Source.StartActivity("decode")?.SetTag("model", modelId);
        try
        {
            var decoded = decoder.Decode(image, target, cancellationToken);
            activity?.SetTag("image.width", decoded.SourceWidth).SetTag("image.height", decoded.SourceHeight)
                .SetTag("image.decoded_width", decoded.Width).SetTag("image.format", decoded.Format);
            return decoded;
        }
        catch (ImageDecodeException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Reason.ToString());
            throw;
        }
    }

    // The request's own trace shows where its time went while it waited for the shared batch.
    private static void RecordWaitSpans(string model, SlotResult<BatchOutput> slot)
    {
        if (Activity.Current is null || !InferenceTelemetry.Source.HasListeners())
        {
            return;
        }

        var parent = Activity.Current.Context;
        var run = slot.Run;
        InferenceTelemetry.RecordSpan("queue", slot.QueuedAt, run.StartedAt, parent, [new("model", model)]);
        InferenceTelemetry.RecordSpan("inference", run.StartedAt, run.StartedAt + run.Duration, parent, [new("model", model), new("batch.size", run.Size)]);
    }

    /// <summary>What one request writes into its slot, and what the write tells it back.</summary>
    private sealed class SlotFill(InputSpec input)
    {
        public static readonly SlotWriter<BatchTensor, SlotFill> Write = static (batch, slot, fill) =>
        {
            var start = Stopwatch.GetTimestamp();
            fill.Transform = LetterboxTensorizer.Write(fill.Image!, fill.Input, batch.Layout, batch.SlotBytes(slot));
            fill.PreprocessMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        };

        public InputSpec Input { get; } = input;

        public DecodedImage? Image { get; set; }

        public double DecodeMs { get; set; }

        public double PreprocessMs { get; set; }

        public LetterboxTransform Transform { get; set; }
    }
}
