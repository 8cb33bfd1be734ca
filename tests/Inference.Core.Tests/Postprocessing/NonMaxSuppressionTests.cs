using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Postprocessing;

namespace Inference.Core.Tests.Postprocessing;

public sealed class NonMaxSuppressionTests
{
    private static readonly LetterboxTransform Identity = LetterboxTransform.Compute(640, 640, 640, 640, LetterboxAnchor.Center);

    /// <summary>Runs the whole post-processor over a hand-built YOLOv8 tensor.</summary>
    private static IReadOnlyList<Detection> Process(DetectionOptions options, params (float X1, float Y1, float X2, float Y2, int Class, float Score)[] boxes)
    {
        const int classes = 3;
        var a = boxes.Length;
        var tensor = new float[(4 + classes) * a];
        for (var i = 0; i < a; i++)
        {
            var (x1, y1, x2, y2, cls, score) = boxes[i];
            tensor[i] = (x1 + x2) / 2;
            tensor[a + i] = (y1 + y2) / 2;
            tensor[(2 * a) + i] = x2 - x1;
            tensor[(3 * a) + i] = y2 - y1;
            tensor[((4 + cls) * a) + i] = score;
        }

        var postprocessor = new DetectionPostprocessor(new Yolov8Decoder(classes, Math.Max(a, 1)), ["cat", "dog", "cup"]);
        return postprocessor.Process(a == 0 ? new float[4 + classes] : tensor, Identity, options);
    }

    [Fact]
    public void No_candidates_gives_no_detections()
    {
        Assert.Empty(Process(DetectionOptions.Default));
    }

    [Fact]
    public void Overlapping_boxes_of_one_class_keep_only_the_strongest()
    {
        var detections = Process(
            DetectionOptions.Default,
            (10, 10, 110, 110, 0, 0.6f),
            (12, 12, 112, 112, 0, 0.9f),
            (300, 300, 400, 400, 0, 0.5f));

        Assert.Equal([0.9f, 0.5f], detections.Select(d => d.Confidence));
        Assert.Equal("cat", detections[0].ClassName);
    }

    [Fact]
    public void Class_aware_nms_keeps_overlaps_of_different_classes_and_agnostic_does_not()
    {
        (float, float, float, float, int, float)[] boxes = [(10, 10, 110, 110, 0, 0.9f), (12, 12, 112, 112, 1, 0.8f)];

        var perClass = Process(DetectionOptions.Default, boxes);
        var agnostic = Process(DetectionOptions.Default with { Agnostic = true }, boxes);

        Assert.Equal(["cat", "dog"], perClass.Select(d => d.ClassName));
        Assert.Equal(["cat"], agnostic.Select(d => d.ClassName));
    }

    [Fact]
    public void The_iou_threshold_decides_what_counts_as_a_duplicate()
    {
        // IoU of these two is 50/150 = 1/3.
        (float, float, float, float, int, float)[] boxes = [(0, 0, 100, 100, 0, 0.9f), (50, 0, 150, 100, 0, 0.8f)];

        Assert.Equal(2, Process(DetectionOptions.Default with { Iou = 0.45f }, boxes).Count);
        Assert.Single(Process(DetectionOptions.Default with { Iou = 0.3f }, boxes));
    }

    [Fact]
    public void Max_detections_caps_the_result_keeping_the_highest_scores()
    {
        var boxes = Enumerable.Range(0, 50).Select(i => (X1: i * 12f, Y1: 0f, X2: (i * 12f) + 10, Y2: 10f, Class: 0, Score: 0.3f + (i / 100f))).ToArray();

        var detections = Process(DetectionOptions.Default with { MaxDetections = 5 }, boxes);

        Assert.Equal(5, detections.Count);
        Assert.Equal(boxes.Select(b => b.Score).OrderDescending().Take(5), detections.Select(d => d.Confidence));
    }

    [Fact]
    public void The_candidate_cap_keeps_the_best_candidates_before_nms()
    {
        var boxes = Enumerable.Range(0, 100).Select(i => (X1: i * 6f, Y1: 0f, X2: (i * 6f) + 5, Y2: 5f, Class: 0, Score: 0.3f + (i / 200f))).ToArray();

        var detections = Process(DetectionOptions.Default with { MaxCandidates = 10 }, boxes);

        Assert.Equal(10, detections.Count);
        Assert.True(detections.Min(d => d.Confidence) >= boxes[90].Score - 1e-6);
    }

    [Fact]
    public void The_class_filter_applies_before_nms()
    {
        var detections = Process(
            DetectionOptions.Default with { ClassIds = new HashSet<int> { 2 } },
            (10, 10, 110, 110, 0, 0.9f),
            (10, 10, 110, 110, 2, 0.6f),
            (300, 300, 400, 400, 1, 0.7f));

        var cup = Assert.Single(detections);
        Assert.Equal("cup", cup.ClassName);
    }

    [Fact]
    public void Results_are_sorted_by_confidence()
    {
        var detections = Process(
            DetectionOptions.Default,
            (0, 0, 10, 10, 0, 0.3f),
            (100, 0, 110, 10, 1, 0.95f),
            (200, 0, 210, 10, 2, 0.5f));

        Assert.Equal([0.95f, 0.5f, 0.3f], detections.Select(d => d.Confidence));
    }

    [Fact]
    public void Greedy_nms_is_linear_in_candidates_when_few_boxes_survive()
    {
        // 20 000 copies of one box: every candidate is checked against one kept box, not against each other.
        var candidates = Enumerable.Range(0, 20_000).Select(i => new Candidate(new BoundingBox(0, 0, 10, 10), 1f - (i * 1e-6f), 0)).ToArray();

        var kept = NonMaxSuppression.Apply(candidates, 0.45f, agnostic: false, maxDetections: 300);

        Assert.Equal(1, kept);
        Assert.Equal(1f, candidates[0].Score);
    }
}
