using Inference.Core.Imaging;
using Inference.Core.Postprocessing;
using Inference.Core.Serving;
using SkiaSharp;

namespace Inference.Core.Rendering;

/// <summary>
/// Draws a detection result onto the image it came from and encodes it: the one place an annotated image is made,
/// for every front end. The detection ran on a DCT-scaled decode; this decodes the same bytes again at full size
/// (EXIF-oriented, the space the boxes are in), through the same decoder limits, time budget and decode gate, and
/// draws straight onto those pixels.
/// </summary>
public sealed class AnnotationRenderer(ImageDecoder decoder, MemoryGate gate)
{
    /// <summary>Renders <paramref name="result"/> (from <see cref="DetectionService"/>) onto <paramref name="image"/>.</summary>
    /// <exception cref="ImageDecodeException">The bytes cannot be decoded within the limits.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task<AnnotatedImage> RenderAsync(ReadOnlyMemory<byte> image, DetectionResult result, AnnotationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        var probe = decoder.Probe(image.Span, ImageTarget.Full);

        // The encoder holds roughly one more image while it compresses; the gate weighs both.
        using (await gate.EnterAsync(probe.DecodeBytes * 2, cancellationToken).ConfigureAwait(false))
        using (var decoded = decoder.Decode(image, ImageTarget.Full, cancellationToken))
        {
            if (decoded.Width != result.Width || decoded.Height != result.Height)
            {
                throw new ArgumentException($"The result is for a {result.Width}×{result.Height} image, but the bytes decode to {decoded.Width}×{decoded.Height}.", nameof(result));
            }

            var format = options.FormatFor(decoded.Format);
            var data = Draw(decoded, result.Detections, options, format, cancellationToken);
            return new AnnotatedImage(data, AnnotationOptions.ContentType(format), decoded.Width, decoded.Height, result.Detections.Count);
        }
    }

    private static unsafe SKData Draw(DecodedImage image, IReadOnlyList<Detection> detections, AnnotationOptions options, AnnotatedFormat format, CancellationToken cancellationToken)
    {
        // Opaque: the model saw the image with alpha dropped (as PIL's convert("RGB")), and so does the viewer.
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var style = AnnotationStyle.For(image.Width, image.Height, options.Stroke);
        fixed (byte* pixels = image.WritablePixels)
        {
            using var pixmap = new SKPixmap(info, (IntPtr)pixels, image.RowBytes);
            using (var surface = SKSurface.Create(pixmap))
            {
                DetectionPainter.Paint(surface.Canvas, image.Width, image.Height, detections, style, options.Labels);
                surface.Canvas.Flush();
            }

            cancellationToken.ThrowIfCancellationRequested();
            var encoded = format == AnnotatedFormat.Png
                ? pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, zLibLevel: 4))
                : pixmap.Encode(new SKJpegEncoderOptions(AnnotationOptions.JpegQuality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore));
            return encoded ?? throw new InvalidOperationException($"Skia could not encode a {image.Width}×{image.Height} {format}.");
        }
    }
}
