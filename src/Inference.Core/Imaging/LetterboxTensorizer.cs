using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Inference.Core.Model;

namespace Inference.Core.Imaging;

/// <summary>
/// Letterboxes a decoded image straight into one slot of a batch tensor: bilinear resize (half-pixel centres, as
/// OpenCV's INTER_LINEAR) and padding in a single pass, with no intermediate resized image. Hand-written because a
/// library resize produces an image, not planar floats, and a second copy per request is exactly what the hot path
/// must avoid. The letterbox geometry comes from the image's original size, the samples from the pixels it holds
/// (fewer after a DCT-scaled decode), so the returned transform maps boxes back to original pixels either way.
/// Two slot layouts share the one resize: float32 NCHW with the model's channel order and pixel scale, and uint8
/// NHWC RGB for models whose cast, scale, channel swap and transpose run in the graph (see
/// <see cref="Onnx.Uint8InputStage"/>), which sends a quarter of the bytes to a GPU.
/// </summary>
public static class LetterboxTensorizer
{
    private const int Channels = 3;
    private const int PixelBytes = DecodedImage.BytesPerPixel;

    /// <summary>Floats in one float32 NCHW slot.</summary>
    public static int SlotLength(InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return SlotLength(input.Width, input.Height);
    }

    public static int SlotLength(int width, int height) => Channels * width * height;

    /// <summary>Bytes of one slot in <paramref name="layout"/>.</summary>
    public static int SlotBytes(int width, int height, SlotLayout layout) =>
        SlotLength(width, height) * (layout == SlotLayout.UInt8Nhwc ? sizeof(byte) : sizeof(float));

    /// <summary>Writes the slot in whichever layout the model takes.</summary>
    public static LetterboxTransform Write(DecodedImage image, InputSpec input, SlotLayout layout, Span<byte> slot) =>
        layout == SlotLayout.UInt8Nhwc ? WriteBytes(image, input, slot) : Write(image, input, MemoryMarshal.Cast<byte, float>(slot));

    /// <summary>Float32 NCHW, in the model's channel order and pixel scale.</summary>
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
        var target = new PlanarTarget(
            slot.Slice(first * planeLength, planeLength),
            slot.Slice(planeLength, planeLength),
            slot.Slice(third * planeLength, planeLength),
            input.Width,
            transform);

        target.FillPadding(input.PadValue * scale);
        ResizeInto(image, ref target, transform, scale);
        return transform;
    }

    /// <summary>
    /// Uint8 NHWC, always RGB and unscaled (0–255): the model's own channel order and scale are applied by its
    /// input stage. The bilinear samples are rounded to the nearest byte, so they differ from the float slot's by
    /// at most half a grey level.
    /// </summary>
    public static LetterboxTransform WriteBytes(DecodedImage image, InputSpec input, Span<byte> slot)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(input);
        var length = SlotLength(input);
        if (slot.Length < length)
        {
            throw new ArgumentException($"The slot holds {slot.Length} bytes; {length} are needed.", nameof(slot));
        }

        var transform = LetterboxTransform.Compute(image.SourceWidth, image.SourceHeight, input);
        var scratch = ArrayPool<float>.Shared.Rent(Channels * transform.ContentWidth);
        try
        {
            var target = new InterleavedTarget(slot[..length], scratch.AsSpan(0, Channels * transform.ContentWidth), input.Width, input.Height, transform);
            target.FillPadding((byte)input.PadValue);
            ResizeInto(image, ref target, transform, 1f);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }

        return transform;
    }

    private static void ResizeInto<TTarget>(DecodedImage image, ref TTarget target, in LetterboxTransform t, float scale)
        where TTarget : IRowTarget, allows ref struct
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

                target.Rows(y, out var r, out var g, out var b);
                ResampleRow(source, x0, x1, wx, r, g, b);
                target.Commit(y);
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
        var x = 0;

        // Taps were built from this row's own width, so every index below is in range; skip bounds checks.
        if (Sse.IsSupported)
        {
            // Four output pixels at a time: each blend is one RGBA vector, and a 4×4 transpose turns the four into
            // one vector per plane. The arithmetic is the scalar loop's, lane by lane, so both give the same floats.
            for (; x <= count - 4; x += 4)
            {
                var p0 = Blend(ref src, ref left, ref right, ref weight, x);
                var p1 = Blend(ref src, ref left, ref right, ref weight, x + 1);
                var p2 = Blend(ref src, ref left, ref right, ref weight, x + 2);
                var p3 = Blend(ref src, ref left, ref right, ref weight, x + 3);
                var rg01 = Sse.UnpackLow(p0, p1);
                var rg23 = Sse.UnpackLow(p2, p3);
                var ba01 = Sse.UnpackHigh(p0, p1);
                var ba23 = Sse.UnpackHigh(p2, p3);
                Sse.MoveLowToHigh(rg01, rg23).StoreUnsafe(ref rd, (nuint)x);
                Sse.MoveHighToLow(rg23, rg01).StoreUnsafe(ref gd, (nuint)x);
                Sse.MoveLowToHigh(ba01, ba23).StoreUnsafe(ref bd, (nuint)x);
            }
        }

        for (; x < count; x++)
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

    /// <summary>One output pixel's RGBA, blended from its two source pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Blend(ref float src, ref int left, ref int right, ref float weight, int x)
    {
        var low = Vector128.LoadUnsafe(ref src, (nuint)Unsafe.Add(ref left, x));
        var high = Vector128.LoadUnsafe(ref src, (nuint)Unsafe.Add(ref right, x));
        return low + ((high - low) * Vector128.Create(Unsafe.Add(ref weight, x)));
    }

    /// <summary>Where the resize writes each content row's three channels, and what happens once it has.</summary>
    private interface IRowTarget
    {
        void Rows(int y, out Span<float> r, out Span<float> g, out Span<float> b);

        void Commit(int y);
    }

    /// <summary>Float planes: the resize writes each row straight into its place.</summary>
    private readonly ref struct PlanarTarget(Span<float> r, Span<float> g, Span<float> b, int width, LetterboxTransform t) : IRowTarget
    {
        private readonly Span<float> _r = r;
        private readonly Span<float> _g = g;
        private readonly Span<float> _b = b;

        public void Rows(int y, out Span<float> r, out Span<float> g, out Span<float> b)
        {
            var offset = ((t.PadTop + y) * width) + t.PadLeft;
            r = _r.Slice(offset, t.ContentWidth);
            g = _g.Slice(offset, t.ContentWidth);
            b = _b.Slice(offset, t.ContentWidth);
        }

        public void Commit(int y)
        {
        }

        public void FillPadding(float pad)
        {
            FillPlanePadding(_r, pad);
            FillPlanePadding(_g, pad);
            FillPlanePadding(_b, pad);
        }

        private void FillPlanePadding(Span<float> plane, float pad)
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
    }

    /// <summary>Interleaved bytes: the resize fills three float rows, then they are rounded into RGB pixels.</summary>
    private readonly ref struct InterleavedTarget(Span<byte> slot, Span<float> scratch, int width, int height, LetterboxTransform t) : IRowTarget
    {
        private readonly Span<byte> _slot = slot;
        private readonly Span<float> _scratch = scratch;

        public void Rows(int y, out Span<float> r, out Span<float> g, out Span<float> b)
        {
            var cw = t.ContentWidth;
            r = _scratch[..cw];
            g = _scratch.Slice(cw, cw);
            b = _scratch.Slice(2 * cw, cw);
        }

        public void Commit(int y)
        {
            var cw = t.ContentWidth;
            var pixels = _slot.Slice((((t.PadTop + y) * width) + t.PadLeft) * Channels, cw * Channels);
            ref var r = ref MemoryMarshal.GetReference(_scratch);
            ref var g = ref Unsafe.Add(ref r, cw);
            ref var b = ref Unsafe.Add(ref r, 2 * cw);
            ref var destination = ref MemoryMarshal.GetReference(pixels);
            for (var x = 0; x < cw; x++)
            {
                // Samples are blends of bytes, so 0 ≤ v ≤ 255: adding one half and truncating rounds to nearest.
                Unsafe.Add(ref destination, 3 * x) = (byte)(Unsafe.Add(ref r, x) + 0.5f);
                Unsafe.Add(ref destination, (3 * x) + 1) = (byte)(Unsafe.Add(ref g, x) + 0.5f);
                Unsafe.Add(ref destination, (3 * x) + 2) = (byte)(Unsafe.Add(ref b, x) + 0.5f);
            }
        }

        public void FillPadding(byte pad)
        {
            var rowBytes = width * Channels;
            var right = t.PadLeft + t.ContentWidth;
            _slot[..(t.PadTop * rowBytes)].Fill(pad);
            _slot[((t.PadTop + t.ContentHeight) * rowBytes)..(height * rowBytes)].Fill(pad);
            if (t.PadLeft == 0 && right == width)
            {
                return;
            }

            for (var y = t.PadTop; y < t.PadTop + t.ContentHeight; y++)
            {
                var row = _slot.Slice(y * rowBytes, rowBytes);
                row[..(t.PadLeft * Channels)].Fill(pad);
                row[(right * Channels)..].Fill(pad);
            }
        }
    }
}
