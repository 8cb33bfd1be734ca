using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Inference.Core.Imaging;

/// <summary>
/// Turns untrusted bytes into an upright 8-bit RGB image. The header is identified first and checked against
/// <see cref="ImageLimits"/>, so a decompression bomb is refused before a pixel buffer exists.
/// Every failure is an <see cref="ImageDecodeException"/>; nothing else escapes.
/// </summary>
public sealed class ImageDecoder
{
    private const int BytesPerPixelWorstCase = 8; // 16-bit RGBA intermediates
    private readonly Configuration _configuration;

    public ImageDecoder(ImageLimits? limits = null)
    {
        Limits = limits ?? ImageLimits.Default;
        if (Limits.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(limits));
        }

        _configuration = CreateConfiguration(Limits);
    }

    public ImageLimits Limits { get; }

    /// <summary>Formats this decoder accepts, by ImageSharp's name.</summary>
    public static IReadOnlyList<string> SupportedFormats { get; } = ["JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF"];

    public DecodedImage Decode(ReadOnlyMemory<byte> data)
    {
        var format = DetectFormat(data.Span);
        var (width, height) = IdentifySize(data, format);
        CheckLimits(width, height);

        Image<Rgb24>? image = null;
        try
        {
            image = Image.Load<Rgb24>(_configuration, data.Span);
            ApplyExifOrientation(image);
            var decoded = new DecodedImage(image, format.Name.ToUpperInvariant());
            image = null;
            return decoded;
        }
        catch (Exception ex) when (ex is not ImageDecodeException)
        {
            throw Classify(ex, format.Name);
        }
        finally
        {
            image?.Dispose();
        }
    }

    private IImageFormat DetectFormat(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ImageDecodeException(ImageFailureReason.NotAnImage, "The body is empty.");
        }

        var format = Image.DetectFormat(_configuration, data);
        if (format is not null)
        {
            return format;
        }

        if (UnsupportedFormatSignatures.Identify(data) is { } unsupported)
        {
            throw new ImageDecodeException(
                ImageFailureReason.Unsupported,
                $"{unsupported} images are not supported; send {string.Join(", ", SupportedFormats)}.");
        }

        throw new ImageDecodeException(
            ImageFailureReason.NotAnImage,
            $"The data is not a recognised image ({data.Length} bytes, no JPEG, PNG, WebP, BMP, GIF or TIFF signature).");
    }

    private (int Width, int Height) IdentifySize(ReadOnlyMemory<byte> data, IImageFormat format)
    {
        try
        {
            using var stream = AsStream(data);
            var info = Image.Identify(_configuration, stream, out _)
                ?? throw new ImageDecodeException(ImageFailureReason.Corrupt, $"The {format.Name} header could not be read.");
            return (info.Width, info.Height);
        }
        catch (Exception ex) when (ex is not ImageDecodeException)
        {
            throw Classify(ex, format.Name);
        }
    }

    private void CheckLimits(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ImageDecodeException(ImageFailureReason.Corrupt, $"The header declares an empty image ({width}×{height}).");
        }

        if (width > Limits.MaxSide || height > Limits.MaxSide)
        {
            throw new ImageDecodeException(
                ImageFailureReason.TooLarge,
                $"The image is {width}×{height}; the longest side allowed is {Limits.MaxSide} pixels.");
        }

        var pixels = (long)width * height;
        if (pixels > Limits.MaxPixels)
        {
            throw new ImageDecodeException(
                ImageFailureReason.TooLarge,
                $"The image is {width}×{height} ({pixels / 1e6:0.#} MP); at most {Limits.MaxPixels / 1e6:0.#} MP is allowed.");
        }
    }

    private static void ApplyExifOrientation(Image<Rgb24> image)
    {
        // AutoOrient costs a full copy for rotations, so skip it for the common upright case.
        var orientation = image.Metadata.ExifProfile?.GetValue(ExifTag.Orientation)?.Value;
        if (orientation is > ExifOrientationMode.TopLeft and <= ExifOrientationMode.LeftBottom)
        {
            image.Mutate(x => x.AutoOrient());
        }
    }

    private static ImageDecodeException Classify(Exception ex, string format) => ex switch
    {
        UnknownImageFormatException => new(ImageFailureReason.NotAnImage, $"The data is not a readable {format} image.", ex),
        InvalidImageContentException => new(ImageFailureReason.Corrupt, $"The {format} data is corrupt or truncated: {ex.Message}", ex),
        NotSupportedException => new(ImageFailureReason.Unsupported, $"This {format} variant is not supported: {ex.Message}", ex),
        InvalidMemoryOperationException => new(ImageFailureReason.TooLarge, $"The {format} image needs more memory than allowed.", ex),

        // Decoders can throw anything on hostile input (index errors in a broken Huffman table, for instance);
        // all of those are the client's bad data, not a server fault.
        _ => new(ImageFailureReason.Corrupt, $"The {format} data could not be decoded: {ex.Message}", ex),
    };

    private static MemoryStream AsStream(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private static Configuration CreateConfiguration(ImageLimits limits)
    {
        var configuration = new Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new WebpConfigurationModule(),
            new BmpConfigurationModule(),
            new GifConfigurationModule(),
            new TiffConfigurationModule())
        {
            // Requests already run in parallel; nested parallelism inside one decode only adds contention.
            MaxDegreeOfParallelism = 1,
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                // Second line of defence behind the header check: no single buffer beyond the largest legal image.
                AllocationLimitMegabytes = (int)Math.Min(int.MaxValue, (limits.MaxPixels * BytesPerPixelWorstCase >> 20) + 64),
            }),
        };

        // Multi-frame containers: only the first frame is ever decoded, so a 1000-frame GIF costs one frame.
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }
}
