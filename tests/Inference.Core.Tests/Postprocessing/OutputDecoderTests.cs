using Inference.Core.Postprocessing;

namespace Inference.Core.Tests.Postprocessing;

public sealed class OutputDecoderTests
{
    private static List<Candidate> Decode(IOutputDecoder decoder, float[] output, float confidence = 0.25f, bool[]? allowed = null)
    {
        using var buffer = new CandidateBuffer(4);
        decoder.Decode(output, confidence, allowed ?? [], buffer);
        return [.. buffer.AsSpan().ToArray()];
    }

    /// <summary>[4+C, A]: rows of cx, cy, w, h, then one row per class.</summary>
    private static float[] Yolov8Tensor(int classes, params (float Cx, float Cy, float W, float H, int Class, float Score)[] anchors)
    {
        var a = anchors.Length;
        var tensor = new float[(4 + classes) * a];
        for (var i = 0; i < a; i++)
        {
            var (cx, cy, w, h, cls, score) = anchors[i];
            tensor[i] = cx;
            tensor[a + i] = cy;
            tensor[(2 * a) + i] = w;
            tensor[(3 * a) + i] = h;
            for (var c = 0; c < classes; c++)
            {
                tensor[((4 + c) * a) + i] = c == cls ? score : 0.05f * (c + 1) / classes;
            }
        }

        return tensor;
    }

    [Fact]
    public void Yolov8_reads_channel_major_boxes_and_the_best_class()
    {
        // 19 anchors: more than one SIMD width, so both the vector loop and its tail run.
        var anchors = Enumerable.Range(0, 19).Select(i => (Cx: 10f * i, Cy: 5f, W: 4f, H: 2f, Class: i % 3, Score: i == 17 ? 0.9f : 0.1f)).ToArray();

        var candidates = Decode(new Yolov8Decoder(3, 19), Yolov8Tensor(3, anchors));

        var only = Assert.Single(candidates);
        Assert.Equal(new BoundingBox(168, 4, 172, 6), only.Box);
        Assert.Equal(2, only.ClassId);
        Assert.Equal(0.9f, only.Score);
    }

    [Fact]
    public void Yolov8_with_nothing_above_the_threshold_gives_no_candidates()
    {
        var tensor = Yolov8Tensor(80, Enumerable.Range(0, 8400).Select(i => (1f, 1f, 1f, 1f, i % 80, 0.2f)).ToArray());

        Assert.Empty(Decode(new Yolov8Decoder(80, 8400), tensor));
    }

    [Fact]
    public void A_class_filter_drops_boxes_whose_best_class_is_not_allowed()
    {
        var tensor = Yolov8Tensor(3, (10, 10, 4, 4, 0, 0.9f), (20, 20, 4, 4, 1, 0.8f), (30, 30, 4, 4, 2, 0.7f));

        var candidates = Decode(new Yolov8Decoder(3, 3), tensor, allowed: [false, true, true]);

        Assert.Equal([1, 2], candidates.Select(c => c.ClassId).Order());
    }

    [Fact]
    public void Yolov5_multiplies_objectness_by_the_class_score()
    {
        float[] tensor =
        [
            50, 40, 20, 10, 0.9f, 0.1f, 0.8f, // 0.72 for class 1
            10, 10, 4, 4, 0.2f, 0.99f, 0.0f,  // objectness too low
            70, 70, 10, 10, 0.6f, 0.3f, 0.2f, // 0.18, below 0.25
        ];

        var candidates = Decode(new Yolov5Decoder(2, 3), tensor);

        var only = Assert.Single(candidates);
        Assert.Equal(1, only.ClassId);
        Assert.Equal(0.72f, only.Score, 5);
        Assert.Equal(new BoundingBox(40, 35, 60, 45), only.Box);
    }

    [Fact]
    public void Yolox_decodes_grid_offsets_with_each_level_stride()
    {
        // 32×32 input, strides 8 and 16: 16 cells of stride 8 then 4 of stride 16.
        var decoder = new YoloxDecoder(2, 32, 32, [8, 16]);
        Assert.Equal(20, decoder.AnchorCount);
        var tensor = new float[20 * 7];

        // Cell (gx=1, gy=2) at stride 8: index 2·4+1 = 9. tx=0.5 → cx=(0.5+1)·8=12; ty=0.25 → cy=18; tw=ln 2 → w=16.
        tensor.AsSpan(9 * 7, 7).SetTo([0.5f, 0.25f, MathF.Log(2), 0, 0.9f, 0.2f, 0.8f]);

        // Cell (gx=1, gy=1) at stride 16: index 16 + 1·2 + 1 = 19. cx=cy=(0+1)·16=16, w=h=16.
        tensor.AsSpan(19 * 7, 7).SetTo([0, 0, 0, 0, 0.5f, 1f, 0f]);

        var candidates = Decode(decoder, tensor).OrderByDescending(c => c.Score).ToList();

        Assert.Equal(2, candidates.Count);
        Assert.Equal(1, candidates[0].ClassId);
        Assert.Equal(0.72f, candidates[0].Score, 5);
        AssertBox(new BoundingBox(4, 14, 20, 22), candidates[0].Box);
        Assert.Equal(0, candidates[1].ClassId);
        AssertBox(new BoundingBox(8, 8, 24, 24), candidates[1].Box);
    }

    [Fact]
    public void End2end_rows_pass_through_and_padding_rows_are_ignored()
    {
        float[] tensor =
        [
            1, 2, 30, 40, 0.9f, 1,
            5, 5, 10, 10, 0.3f, 0,
            0, 0, 0, 0, 0, 0,       // padding
            0, 0, 9, 9, 0.8f, 7,    // class id out of range: never trusted
        ];

        var decoder = new End2EndDecoder(2, 4);
        var candidates = Decode(decoder, tensor, confidence: 0);

        Assert.False(decoder.NeedsNms);
        Assert.Equal(2, candidates.Count);
        Assert.Equal(new Candidate(new BoundingBox(1, 2, 30, 40), 0.9f, 1), candidates[0]);
    }

    private static void AssertBox(BoundingBox expected, BoundingBox actual)
    {
        Assert.Equal(expected.X1, actual.X1, 3);
        Assert.Equal(expected.Y1, actual.Y1, 3);
        Assert.Equal(expected.X2, actual.X2, 3);
        Assert.Equal(expected.Y2, actual.Y2, 3);
    }
}

internal static class SpanTestExtensions
{
    public static void SetTo(this Span<float> target, float[] values) => values.CopyTo(target);
}
