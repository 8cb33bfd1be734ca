using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Core.Tests.Imaging;

public sealed class LetterboxTests
{
    private static readonly ImageDecoder Decoder = new();

    [Theory]
    [InlineData(640, 480, LetterboxAnchor.Center, 640, 480, 0, 80)]
    [InlineData(640, 480, LetterboxAnchor.TopLeft, 640, 480, 0, 0)]
    [InlineData(480, 640, LetterboxAnchor.Center, 480, 640, 80, 0)]
    [InlineData(1280, 720, LetterboxAnchor.Center, 640, 360, 0, 140)]
    [InlineData(100, 50, LetterboxAnchor.Center, 640, 320, 0, 160)]
    [InlineData(10000, 10, LetterboxAnchor.Center, 640, 1, 0, 319)]
    public void Content_keeps_the_aspect_ratio_and_sits_at_the_anchor(int w, int h, LetterboxAnchor anchor, int cw, int ch, int left, int top)
    {
        var t = LetterboxTransform.Compute(w, h, 640, 640, anchor);

        Assert.Equal((cw, ch, left, top), (t.ContentWidth, t.ContentHeight, t.PadLeft, t.PadTop));
    }

    [Theory]
    [InlineData(LetterboxAnchor.Center)]
    [InlineData(LetterboxAnchor.TopLeft)]
    public void Boxes_map_back_to_original_pixels(LetterboxAnchor anchor)
    {
        var t = LetterboxTransform.Compute(451, 300, 416, 416, anchor);
        var original = new BoundingBox(12.5f, 40f, 300f, 299f);

        var back = t.ToOriginal(t.ToModel(original));

        Assert.Equal(original.X1, back.X1, 3);
        Assert.Equal(original.Y1, back.Y1, 3);
        Assert.Equal(original.X2, back.X2, 3);
        Assert.Equal(original.Y2, back.Y2, 3);
    }

    [Fact]
    public void Boxes_reaching_into_the_padding_are_clipped_to_the_image()
    {
        var t = LetterboxTransform.Compute(640, 480, 640, 640, LetterboxAnchor.Center);

        var clipped = t.ToOriginal(new BoundingBox(-20, 10, 700, 630));

        Assert.Equal(new BoundingBox(0, 0, 640, 480), clipped);
    }

    public static TheoryData<int, int, LetterboxAnchor, ChannelOrder, PixelScale> Layouts => new()
    {
        { 640, 480, LetterboxAnchor.Center, ChannelOrder.Rgb, PixelScale.Unit },
        { 640, 480, LetterboxAnchor.TopLeft, ChannelOrder.Bgr, PixelScale.Raw },
        { 451, 300, LetterboxAnchor.TopLeft, ChannelOrder.Bgr, PixelScale.Raw },
        { 97, 203, LetterboxAnchor.Center, ChannelOrder.Rgb, PixelScale.Raw },
        { 1500, 1000, LetterboxAnchor.Center, ChannelOrder.Bgr, PixelScale.Unit },
        { 416, 416, LetterboxAnchor.Center, ChannelOrder.Rgb, PixelScale.Unit },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Tensor_matches_a_straightforward_bilinear_reference(int w, int h, LetterboxAnchor anchor, ChannelOrder order, PixelScale scale)
    {
        using var image = Decoded(TestImages.Gradient(w, h, seed: w + h));
        var input = new InputSpec { Width = 416, Height = 416, Anchor = anchor, ChannelOrder = order, PixelScale = scale, PadValue = 114 };
        var slot = new float[LetterboxTensorizer.SlotLength(input)];

        var transform = LetterboxTensorizer.Write(image, input, slot);

        var expected = ReferenceTensor(image, input, transform);
        var worst = 0.0;
        for (var i = 0; i < slot.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(slot[i] - expected[i]));
        }

        var unit = scale == PixelScale.Unit ? 1 / 255.0 : 1.0;
        Assert.True(worst < 0.01 * unit, $"Largest difference from the reference: {worst / unit:0.0000} grey levels.");
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void The_uint8_slot_is_the_raw_rgb_float_slot_rounded_to_bytes_in_nhwc(int w, int h, LetterboxAnchor anchor, ChannelOrder order, PixelScale scale)
    {
        using var image = Decoded(TestImages.Gradient(w, h, seed: w + h));
        var input = new InputSpec { Width = 416, Height = 416, Anchor = anchor, ChannelOrder = order, PixelScale = scale, PadValue = 114 };
        var reference = new float[LetterboxTensorizer.SlotLength(input)];
        var expectedTransform = LetterboxTensorizer.Write(image, input with { ChannelOrder = ChannelOrder.Rgb, PixelScale = PixelScale.Raw }, reference);
        var bytes = new byte[LetterboxTensorizer.SlotBytes(416, 416, SlotLayout.UInt8Nhwc)];

        // The slot's channel order and scale are the model's input stage's business, whatever the manifest says.
        var transform = LetterboxTensorizer.Write(image, input, SlotLayout.UInt8Nhwc, bytes);

        Assert.Equal(expectedTransform, transform);
        Assert.Equal(LetterboxTensorizer.SlotLength(input), bytes.Length);
        var plane = 416 * 416;
        for (var pixel = 0; pixel < plane; pixel++)
        {
            for (var c = 0; c < 3; c++)
            {
                var exact = reference[(c * plane) + pixel];
                if (bytes[(pixel * 3) + c] != (byte)(exact + 0.5f))
                {
                    Assert.Fail($"Pixel {pixel % 416},{pixel / 416} channel {c}: {bytes[(pixel * 3) + c]} for {exact}.");
                }
            }
        }
    }

    [Fact]
    public void The_float_slot_written_through_bytes_is_the_float_slot()
    {
        using var image = Decoded(TestImages.Gradient(451, 300));
        var input = InputConventions.For(OutputFormat.Yolox, 416, 416);
        var floats = new float[LetterboxTensorizer.SlotLength(input)];
        var bytes = new byte[LetterboxTensorizer.SlotBytes(416, 416, SlotLayout.Float32Nchw)];

        LetterboxTensorizer.Write(image, input, floats);
        LetterboxTensorizer.Write(image, input, SlotLayout.Float32Nchw, bytes);

        Assert.Equal(floats, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }

    [Fact]
    public void The_uint8_slot_pads_with_the_pad_value_and_touches_nothing_outside_it()
    {
        using var image = Decoded(new Image<Rgb24>(200, 100, new Rgb24(255, 10, 0)));
        var input = new InputSpec { Width = 100, Height = 100, PadValue = 114, Anchor = LetterboxAnchor.Center, ChannelOrder = ChannelOrder.Bgr, PixelScale = PixelScale.Unit };
        var length = LetterboxTensorizer.SlotLength(input);
        var batch = new byte[3 * length];
        Array.Fill(batch, (byte)77);

        var t = LetterboxTensorizer.WriteBytes(image, input, batch.AsSpan(length, length));

        var slot = batch.AsSpan(length, length);
        Assert.Equal((0, 25), (t.PadLeft, t.PadTop));
        Assert.Equal([114, 114, 114], slot[..3].ToArray());                            // top padding
        Assert.Equal([114, 114, 114], slot[(((99 * 100) + 99) * 3)..].ToArray());     // bottom padding
        Assert.Equal([255, 10, 0], slot.Slice(((50 * 100) + 50) * 3, 3).ToArray());   // RGB content
        Assert.All(batch[..length], v => Assert.Equal(77, v));
        Assert.All(batch[(2 * length)..], v => Assert.Equal(77, v));
        Assert.Throws<ArgumentException>(() => LetterboxTensorizer.WriteBytes(image, input, new byte[length - 1]));
    }

    [Fact]
    public void A_dct_scaled_image_is_letterboxed_by_its_original_size_and_maps_boxes_back_to_it()
    {
        using var photo = TestImages.Gradient(1600, 1200);
        var input = InputConventions.For(OutputFormat.Yolov8, 416, 416);
        using var image = Decoder.Decode(SkiaEncoding.Jpeg(photo), ImageTarget.For(input), default);
        var slot = new float[LetterboxTensorizer.SlotLength(input)];

        var transform = LetterboxTensorizer.Write(image, input, slot);

        Assert.Equal((600, 450), (image.Width, image.Height)); // 3/8: 2/8 (400×300) would not cover 416×312
        Assert.Equal((1600, 1200, 416, 312, 0, 52), (transform.SourceWidth, transform.SourceHeight, transform.ContentWidth, transform.ContentHeight, transform.PadLeft, transform.PadTop));
        Assert.Equal(new BoundingBox(0, 0, 1600, 1200), transform.ToOriginal(new BoundingBox(0, 52, 416, 364)));
        var expected = ReferenceTensor(image, input, transform);
        Assert.All(Enumerable.Range(0, slot.Length), i => Assert.True(Math.Abs(slot[i] - expected[i]) < 0.01 / 255.0));
    }

    [Fact]
    public void Writing_a_slot_touches_nothing_outside_it()
    {
        using var image = Decoded(TestImages.Gradient(300, 200));
        var input = InputConventions.For(OutputFormat.Yolov8, 64, 64);
        var length = LetterboxTensorizer.SlotLength(input);
        var batch = new float[3 * length];
        Array.Fill(batch, float.NaN);

        LetterboxTensorizer.Write(image, input, batch.AsSpan(length, length));

        Assert.All(batch[..length], v => Assert.True(float.IsNaN(v)));
        Assert.All(batch[(2 * length)..], v => Assert.True(float.IsNaN(v)));
        Assert.All(batch[length..(2 * length)], v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Padding_carries_the_manifest_pad_value_in_every_channel()
    {
        using var image = Decoded(new Image<Rgb24>(200, 100, new Rgb24(255, 0, 0)));
        var input = new InputSpec { Width = 100, Height = 100, PixelScale = PixelScale.Raw, PadValue = 114, ChannelOrder = ChannelOrder.Bgr, Anchor = LetterboxAnchor.Center };
        var slot = new float[LetterboxTensorizer.SlotLength(input)];

        var t = LetterboxTensorizer.Write(image, input, slot);

        Assert.Equal((0, 25), (t.PadLeft, t.PadTop));
        var plane = 100 * 100;
        Assert.Equal(114f, slot[0]);                       // B plane, top padding
        Assert.Equal(114f, slot[(2 * plane) + (99 * 100)]); // R plane, bottom padding
        Assert.Equal(0f, slot[(50 * 100) + 50]);           // B of the red content
        Assert.Equal(255f, slot[(2 * plane) + (50 * 100) + 50]);
    }

    [Fact]
    public void A_slot_too_small_is_refused()
    {
        using var image = Decoded(TestImages.Gradient(10, 10));
        var input = InputConventions.For(OutputFormat.Yolov8, 32, 32);

        Assert.Throws<ArgumentException>(() => LetterboxTensorizer.Write(image, input, new float[100]));
    }

    [Fact]
    public void Letterboxing_allocates_nothing_per_call()
    {
        using var image = Decoded(TestImages.Gradient(640, 480));
        var input = InputConventions.For(OutputFormat.Yolov8, 416, 416);
        var slot = new float[LetterboxTensorizer.SlotLength(input)];
        LetterboxTensorizer.Write(image, input, slot);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            LetterboxTensorizer.Write(image, input, slot);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static DecodedImage Decoded(Image<Rgb24> picture)
    {
        using (picture)
        {
            return Decoder.Decode(TestImages.Png(picture), ImageTarget.Full, default);
        }
    }

    /// <summary>Per-pixel bilinear with half-pixel centres, in doubles, with no reuse or vectorisation.</summary>
    private static float[] ReferenceTensor(DecodedImage image, InputSpec input, LetterboxTransform t)
    {
        var plane = input.Width * input.Height;
        var scale = input.PixelScale == PixelScale.Unit ? 1 / 255.0 : 1.0;
        var tensor = new float[3 * plane];
        Array.Fill(tensor, (float)(input.PadValue * scale));
        for (var y = 0; y < t.ContentHeight; y++)
        {
            var sy = Math.Clamp(((y + 0.5) * image.Height / t.ContentHeight) - 0.5, 0, image.Height - 1);
            var y0 = (int)sy;
            var y1 = Math.Min(y0 + 1, image.Height - 1);
            var wy = sy - y0;
            for (var x = 0; x < t.ContentWidth; x++)
            {
                var sx = Math.Clamp(((x + 0.5) * image.Width / t.ContentWidth) - 0.5, 0, image.Width - 1);
                var x0 = (int)sx;
                var x1 = Math.Min(x0 + 1, image.Width - 1);
                var wx = sx - x0;
                var rgb = new double[3];
                for (var c = 0; c < 3; c++)
                {
                    double Channel(int px, int py) => c switch { 0 => image.RgbAt(px, py).R, 1 => image.RgbAt(px, py).G, _ => image.RgbAt(px, py).B };
                    var top = Channel(x0, y0) + ((Channel(x1, y0) - Channel(x0, y0)) * wx);
                    var bottom = Channel(x0, y1) + ((Channel(x1, y1) - Channel(x0, y1)) * wx);
                    rgb[c] = (top + ((bottom - top) * wy)) * scale;
                }

                var index = ((t.PadTop + y) * input.Width) + t.PadLeft + x;
                var (first, third) = input.ChannelOrder == ChannelOrder.Rgb ? (0, 2) : (2, 0);
                tensor[(first * plane) + index] = (float)rgb[0];
                tensor[plane + index] = (float)rgb[1];
                tensor[(third * plane) + index] = (float)rgb[2];
            }
        }

        return tensor;
    }
}
