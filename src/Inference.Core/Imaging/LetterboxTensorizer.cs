using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Inference.Core.Model;

namespace Inference.Core.Imaging;

/// <summary>
/// Letterboxes a decoded image straight into one NCHW float32 slot of a batch tensor: bilinear resize (half-pixel
/// centres, as OpenCV's INTER_LINEAR), channel order, pixel scale and padding in a single pass, with no
/// intermediate resized image. Hand-written because a library resize produces an image, not planar floats,
/// and a second copy per request is exactly what the hot path must avoid. The letterbox geometry comes from the
/// image's original size, the samples from the pixels it holds (fewer after a DCT-scaled decode), so the returned
/// transform maps boxes back to original pixels either way.
/// </summary>
public static class LetterboxTensorizer
{
    private const int Channels = 3;
    private const int PixelBytes = DecodedImage.BytesPerPixel;

    public static int SlotLength(InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return SlotLength(input.Width, input.Height);
    }

    public static int SlotLength(int width, int height) => Channels * width * height;

    public static LetterboxTransform Write(DecodedImage image, InputSpec input, Span<float> slot)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(input);
        var planeLength = input.Width * input.Height;
        if (slot.Length < Channels * planeLength)
        {
            throw new ArgumentException($"The slot holds {slot.Length} floats; {Channels * planeLength} are needed.", nameof(slot));
        }

        var transform = LetterboxTransform.Compute(image.SourceWidth, image.SourceHeight, input);
        var scale = input.PixelScale == PixelScale.Unit ? 1f / 255f : 1f;
        var (first, third) = input.ChannelOrder == ChannelOrder.Rgb ? (0, 2) : (2, 0);
        var r = slot.Slice(first * planeLength, planeLength);
        var g = slot.Slice(planeLength, planeLength);
        var b = slot.Slice(third * planeLength, planeLength);

        FillPadding(r, g, b, input, transform, input.PadValue * scale);
        ResizeInto(image, r, g, b, input.Width, transform, scale);
        return transform;
    }

    private static void FillPadding(Span<float> r, Span<float> g, Span<float> b, InputSpec input, in LetterboxTransform t, float pad)
    {
        FillPlanePadding(r, input.Width, t, pad);
        FillPlanePadding(g, input.Width, t, pad);
        FillPlanePadding(b, input.Width, t, pad);
    }

    private static void FillPlanePadding(Span<float> plane, int width, in LetterboxTransform t, float pad)
    {
        var right = t.PadLeft + t.ContentWidth;
        plane[..(t.PadTop * width)].Fill(pad);
        plane[((t.PadTop + t.ContentHeight) * width)..].Fill(pad);
        if (t.PadLeft == 0 && right == width)
        {
            return;
        }

        for (var y = t.PadTop; y < t.PadTop + t.ContentHeight; y++)
        {
            var row = plane.Slice(y * width, width);
            row[..t.PadLeft].Fill(pad);
            row[right..].Fill(pad);
        }
    }

    private static void ResizeInto(DecodedImage image, Span<float> r, Span<float> g, Span<float> b, int width, in LetterboxTransform t, float scale)
    {
        var srcWidth = image.Width;
        var srcHeight = image.Height;
        var rowLength = srcWidth * PixelBytes;
        var cw = t.ContentWidth;

        var x0 = ArrayPool<int>.Shared.Rent(cw);
        var x1 = ArrayPool<int>.Shared.Rent(cw);
        var wx = ArrayPool<float>.Shared.Rent(cw);
        var rows = ArrayPool<float>.Shared.Rent(rowLength * 3);
        try
        {
            BuildTaps(srcWidth, cw, x0, x1, wx);
            var upper = rows.AsSpan(0, rowLength);
            var lower = rows.AsSpan(rowLength, rowLength);
            var blended = rows.AsSpan(2 * rowLength, rowLength);
            int upperIndex = -1, lowerIndex = -1;
            var yScale = (double)srcHeight / t.ContentHeight;

            for (var y = 0; y < t.ContentHeight; y++)
            {
                var (y0, y1, wy) = Tap((y + 0.5) * yScale - 0.5, srcHeight);

                // Consecutive output rows mostly share source rows: reuse the converted ones.
                if (upperIndex != y0)
                {
                    if (lowerIndex == y0)
                    {
                        var swap = upper;
                        upper = lower;
                        lower = swap;
                        (upperIndex, lowerIndex) = (lowerIndex, -1);
                    }
                    else
                    {
                        LoadRow(image, y0, upper, scale);
                        upperIndex = y0;
                    }
                }

                ReadOnlySpan<float> source = upper;
                if (wy > 0)
                {
                    if (lowerIndex != y1)
                    {
                        LoadRow(image, y1, lower, scale);
                        lowerIndex = y1;
                    }

                    TensorPrimitives.Lerp(upper, lower, wy, blended);
                    source = blended;
                }

                var offset = ((t.PadTop + y) * width) + t.PadLeft;
                ResampleRow(source, x0, x1, wx, r.Slice(offset, cw), g.Slice(offset, cw), b.Slice(offset, cw));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(x0);
            ArrayPool<int>.Shared.Return(x1);
            ArrayPool<float>.Shared.Return(wx);
            ArrayPool<float>.Shared.Return(rows);
        }
    }

    private static void BuildTaps(int srcWidth, int contentWidth, int[] x0, int[] x1, float[] wx)
    {
        var xScale = (double)srcWidth / contentWidth;
        for (var x = 0; x < contentWidth; x++)
        {
            var (left, right, weight) = Tap((x + 0.5) * xScale - 0.5, srcWidth);
            x0[x] = left * PixelBytes;
            x1[x] = right * PixelBytes;
            wx[x] = weight;
        }
    }

    private static (int Low, int High, float Weight) Tap(double position, int size)
    {
        if (position <= 0)
        {
            return (0, 0, 0);
        }

        var low = (int)position;
        if (low >= size - 1)
        {
            return (size - 1, size - 1, 0);
        }

        return (low, low + 1, (float)(position - low));
    }

    private static void LoadRow(DecodedImage image, int y, Span<float> destination, float scale)
    {
        WidenBytes(image.Row(y), destination);
        if (scale != 1f)
        {
            TensorPrimitives.Multiply(destination, scale, destination);
        }
    }

    private static void WidenBytes(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && source.Length >= Vector<byte>.Count)
        {
            var step = Vector<byte>.Count;
            var quarter = Vector<int>.Count;
            for (; i <= source.Length - step; i += step)
            {
                Vector.Widen(new Vector<byte>(source.Slice(i, step)), out var low16, out var high16);
                Vector.Widen(low16, out var a, out var b);
                Vector.Widen(high16, out var c, out var d);
                var target = destination.Slice(i, step);
                Vector.ConvertToSingle(Vector.AsVectorInt32(a)).CopyTo(target);
                Vector.ConvertToSingle(Vector.AsVectorInt32(b)).CopyTo(target[quarter..]);
                Vector.ConvertToSingle(Vector.AsVectorInt32(c)).CopyTo(target[(2 * quarter)..]);
                Vector.ConvertToSingle(Vector.AsVectorInt32(d)).CopyTo(target[(3 * quarter)..]);
            }
        }

        for (; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }

    private static void ResampleRow(ReadOnlySpan<float> row, int[] x0, int[] x1, float[] wx, Span<float> r, Span<float> g, Span<float> b)
    {
        ref var src = ref MemoryMarshal.GetReference(row);
        ref var left = ref MemoryMarshal.GetArrayDataReference(x0);
        ref var right = ref MemoryMarshal.GetArrayDataReference(x1);
        ref var weight = ref MemoryMarshal.GetArrayDataReference(wx);
        ref var rd = ref MemoryMarshal.GetReference(r);
        ref var gd = ref MemoryMarshal.GetReference(g);
        ref var bd = ref MemoryMarshal.GetReference(b);
        var count = r.Length;

        // Taps were built from this row's own width, so every index below is in range; skip bounds checks.
        for (var x = 0; x < count; x++)
        {
            var i0 = Unsafe.Add(ref left, x);
            var i1 = Unsafe.Add(ref right, x);
            var w = Unsafe.Add(ref weight, x);
            var r0 = Unsafe.Add(ref src, i0);
            var g0 = Unsafe.Add(ref src, i0 + 1);
            var b0 = Unsafe.Add(ref src, i0 + 2);
            Unsafe.Add(ref rd, x) = r0 + ((Unsafe.Add(ref src, i1) - r0) * w);
            Unsafe.Add(ref gd, x) = g0 + ((Unsafe.Add(ref src, i1 + 1) - g0) * w);
            Unsafe.Add(ref bd, x) = b0 + ((Unsafe.Add(ref src, i1 + 2) - b0) * w);
        }
    }
}
