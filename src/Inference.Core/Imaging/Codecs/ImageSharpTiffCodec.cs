using System.Runtime.InteropServices;
using Inference.Core.Imaging.Formats;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Core.Imaging.Codecs;

/// <summary>
/// TIFF, which Skia has no codec for, through ImageSharp 2.1.13 behind the same checks: the size and
/// orientation come from our own directory read, every read of the input checks the budget, the caller's token
/// reaches ImageSharp's own loops, and only the first page is decoded.
/// </summary>
internal sealed class ImageSharpTiffCodec
{
    private readonly Configuration _configuration;
    private readonly TiffDecoder _decoder = new() { DecodingMode = SixLabors.ImageSharp.Metadata.FrameDecodingMode.First };

    public ImageSharpTiffCodec(ImageLimits limits)
    {
        _configuration = new Configuration(new TiffConfigurationModule())
        {
            // Requests already run in parallel; nested parallelism inside one decode only adds contention.
            MaxDegreeOfParallelism = 1,
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                // A second line of defence behind the header check: no buffer beyond the largest legal image.
                AllocationLimitMegabytes = (int)Math.Min(int.MaxValue, (limits.MaxPixels * 8 >> 20) + 64),
            }),
        };
    }

    public PixelBuffer Decode(ReadOnlyMemory<byte> data, ImageHeader header, DecodeBudget budget)
    {
        Image<Rgba32> image;
        try
        {
            using var stream = new BudgetedReadStream(data, budget);
            image = _decoder.Decode<Rgba32>(_configuration, stream, budget.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            budget.ThrowIfSpent(ImageFormat.Tiff);
            throw;
        }
        catch (Exception ex) when (ex is not ImageDecodeException)
        {
            throw Classify(ex);
        }

        using (image)
        {
            if (image.Width != header.Width || image.Height != header.Height)
            {
                throw new ImageDecodeException(
                    ImageFailureReason.Corrupt,
                    $"The TIFF decoder reads {image.Width}×{image.Height} where the header declares {header.Width}×{header.Height}.");
            }

            var pixels = PixelBuffer.Rent((long)image.Width * image.Height * DecodePlan.BytesPerPixel);
            image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgba32>(pixels.Span));
            return pixels;
        }
    }

    private static ImageDecodeException Classify(Exception ex) => ex switch
    {
        NotSupportedException => new(ImageFailureReason.Unsupported, $"This TIFF variant is not supported: {ex.Message}", ex),
        InvalidMemoryOperationException => new(ImageFailureReason.TooLarge, "The TIFF needs more memory than allowed.", ex),

        // Decoders can throw anything on hostile input (an index error in a broken strip table, for instance);
        // all of those are the client's bad data, not a server fault.
        _ => new(ImageFailureReason.Corrupt, $"The TIFF data could not be decoded: {ex.Message}", ex),
    };
}
