using Inference.Core.Imaging.Formats;
using SkiaSharp;

namespace Inference.Core.Imaging.Codecs;

/// <summary>
/// Decodes JPEG, PNG, GIF, WebP and BMP with Skia's codecs (libjpeg-turbo, libpng, wuffs, libwebp: Chrome's,
/// continuously fuzzed) into RGBA, unpremultiplied, with no colour transform (as PIL gives pixels). Each format
/// uses the entry point that hands control back most often: JPEG in chunks of scanlines (the budget is checked
/// between chunks and, through <see cref="CodecInput"/>, before every scan), PNG and GIF incrementally (checked
/// on every read), WebP and BMP whole (checked on every read; libwebp decodes in one call whose cost is bounded
/// by the pixel limit).
/// </summary>
internal static unsafe class SkiaCodec
{
    private const int ChunkBytes = 256 << 10;

    public static PixelBuffer Decode(ReadOnlyMemory<byte> data, ImageHeader header, DecodePlan plan, DecodeBudget budget, bool allowPartial)
    {
        var format = header.Format;
        var input = new CodecInput(data, header, budget);
        using var codec = SKCodec.Create(input, out var created);
        budget.ThrowIfSpent(format);
        if (codec is null)
        {
            throw Failure(created, format);
        }

        if (codec.Info.Width != header.Width || codec.Info.Height != header.Height)
        {
            throw new ImageDecodeException(
                ImageFailureReason.Corrupt,
                $"The {format.Name()} decoder reads {codec.Info.Width}×{codec.Info.Height} where the header declares {header.Width}×{header.Height}.");
        }

        var size = plan.Eighths == 8 ? codec.Info.Size : codec.GetScaledDimensions(plan.Eighths / 8f);
        if (size.Width != plan.StoredWidth || size.Height != plan.StoredHeight)
        {
            throw new InvalidOperationException(
                $"libjpeg-turbo scales {header.Width}×{header.Height} by {plan.Eighths}/8 to {size}, not the planned {plan.StoredWidth}×{plan.StoredHeight}.");
        }

        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = PixelBuffer.Rent((long)info.RowBytes * info.Height);
        try
        {
            SKCodecResult result;
            int rowsDone;
            fixed (byte* target = pixels.Span)
            {
                (result, rowsDone) = format switch
                {
                    ImageFormat.Jpeg => Scanlines(codec, info, target, budget),
                    ImageFormat.Png or ImageFormat.Gif => Incremental(codec, info, target),
                    _ => (codec.GetPixels(info, (IntPtr)target), info.Height),
                };
            }

            // A spent budget makes the codec see the end of its data; report the real cause, not truncation.
            budget.ThrowIfSpent(format);
            if (result != SKCodecResult.Success)
            {
                if (!allowPartial || result is not (SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput) || rowsDone <= 0)
                {
                    throw Failure(result, format);
                }

                pixels.Span[(rowsDone * info.RowBytes)..].Clear();
            }

            return pixels;
        }
        catch
        {
            pixels.Dispose();
            throw;
        }
    }

    private static (SKCodecResult Result, int Rows) Scanlines(SKCodec codec, SKImageInfo info, byte* target, DecodeBudget budget)
    {
        var started = codec.StartScanlineDecode(info);
        if (started != SKCodecResult.Success)
        {
            return (started, 0);
        }

        var chunk = Math.Max(1, ChunkBytes / info.RowBytes);
        var row = 0;
        while (row < info.Height)
        {
            if (budget.IsSpent)
            {
                return (SKCodecResult.IncompleteInput, row);
            }

            var wanted = Math.Min(chunk, info.Height - row);
            var read = codec.GetScanlines((IntPtr)(target + ((long)row * info.RowBytes)), wanted, info.RowBytes);
            row += Math.Max(read, 0);
            if (read < wanted)
            {
                return (SKCodecResult.IncompleteInput, row);
            }
        }

        return (SKCodecResult.Success, row);
    }

    private static (SKCodecResult Result, int Rows) Incremental(SKCodec codec, SKImageInfo info, byte* target)
    {
        var started = codec.StartIncrementalDecode(info, (IntPtr)target, info.RowBytes);
        if (started != SKCodecResult.Success)
        {
            return (started, 0);
        }

        var result = codec.IncrementalDecode(out var rows);
        return (result, result == SKCodecResult.Success ? info.Height : rows);
    }

    private static ImageDecodeException Failure(SKCodecResult result, ImageFormat format) => result switch
    {
        SKCodecResult.IncompleteInput => new(ImageFailureReason.Corrupt, $"The {format.Name()} data ends before the image is complete (a truncated upload?)."),
        SKCodecResult.ErrorInInput => new(ImageFailureReason.Corrupt, $"The {format.Name()} data is damaged part-way through."),
        SKCodecResult.InvalidConversion or SKCodecResult.Unimplemented => new(ImageFailureReason.Unsupported, $"This {format.Name()} variant cannot be decoded ({result})."),
        _ => new(ImageFailureReason.Corrupt, $"The {format.Name()} data could not be decoded ({result})."),
    };
}
