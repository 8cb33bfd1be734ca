using SkiaSharp;

namespace Inference.Core.Rendering;

/// <summary>An encoded annotated image, held in Skia's memory until disposed (no managed copy of a large JPEG).</summary>
public sealed class AnnotatedImage(SKData data, string contentType, int width, int height, int detections) : IDisposable
{
    public string ContentType { get; } = contentType;

    /// <summary>Width of the image, the original upright size.</summary>
    public int Width { get; } = width;

    public int Height { get; } = height;

    /// <summary>How many detections were drawn.</summary>
    public int Detections { get; } = detections;

    public long Length => data.Size;

    public ReadOnlySpan<byte> Bytes => data.AsSpan();

    /// <summary>A read-only stream over the encoded bytes; valid until the image is disposed.</summary>
    public Stream OpenRead() => data.AsStream(streamDisposesData: false);

    public void Dispose() => data.Dispose();
}
