using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Testing;

namespace Inference.Core.Tests.RealModel;

/// <summary>A real COCO detector on real photos, against the detections listed in the fixtures README.</summary>
public sealed class YoloxNanoTests
{
    private const float BoxTolerance = 3;
    private const float ScoreTolerance = 0.05f;

    public static TheoryData<string, string> ModelsAndPhotos()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { YoloxFixture.DynamicModel, YoloxFixture.StaticModel })
        {
            foreach (var photo in Expected.Keys)
            {
                data.Add(model, photo);
            }
        }

        return data;
    }

    private static readonly Dictionary<string, (string Class, float Score, BoundingBox Box)[]> Expected = new()
    {
        ["astronaut.png"] = [("person", 0.925f, new BoundingBox(11, 20, 368, 507))],
        ["chelsea.png"] = [("cat", 0.623f, new BoundingBox(0, 0, 450, 300))],
        ["coffee.png"] = [("cup", 0.900f, new BoundingBox(162, 15, 422, 293)), ("dining table", 0.731f, new BoundingBox(0, 0, 598, 398))],
        ["rocket.jpg"] = [],
    };

    [SkippableTheory]
    [MemberData(nameof(ModelsAndPhotos))]
    public async Task Each_photo_gives_the_reference_detections(string model, string photo)
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        await using var detector = await YoloxFixture.LoadAsync(model);

        var result = await detector.DetectAsync(await File.ReadAllBytesAsync(YoloxFixture.Photo(photo)));

        AssertMatches(Expected[photo], result.Detections);
    }

    [SkippableTheory]
    [InlineData(YoloxFixture.DynamicModel, null)]
    [InlineData(YoloxFixture.StaticModel, 1)]
    public async Task All_photos_in_one_request_give_the_same_detections(string model, int? staticBatch)
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        await using var detector = await YoloxFixture.LoadAsync(model);
        var photos = Expected.Keys.ToArray();

        var results = await detector.DetectAsync(photos.Select(p => (ReadOnlyMemory<byte>)File.ReadAllBytes(YoloxFixture.Photo(p))).ToArray());

        Assert.Equal(staticBatch, detector.Model.Signature.StaticBatchSize);
        Assert.Equal(photos.Length, results.Count);
        for (var i = 0; i < photos.Length; i++)
        {
            AssertMatches(Expected[photos[i]], results[i].Detections);
        }
    }

    [SkippableFact]
    public async Task The_layout_is_detected_as_yolox_from_the_output_shape()
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        await using var detector = await YoloxFixture.LoadAsync(YoloxFixture.StaticModel);

        Assert.Equal(OutputFormat.Yolox, detector.Model.Format);
        Assert.Equal(80, detector.Model.ClassNames.Count);
        Assert.Equal("person", detector.Model.ClassNames[0]);
        Assert.Equal(3549 * 85, detector.Model.Signature.OutputImageLength);
    }

    private static void AssertMatches((string Class, float Score, BoundingBox Box)[] expected, IReadOnlyList<Detection> actual)
    {
        var description = string.Join("; ", actual.Select(d => $"{d.ClassName} {d.Confidence:0.000} ({d.Box.X1:0},{d.Box.Y1:0})-({d.Box.X2:0},{d.Box.Y2:0})"));
        Assert.True(expected.Length == actual.Count, $"Expected {expected.Length} detections, got: {description}");
        foreach (var (cls, score, box) in expected)
        {
            var match = actual.SingleOrDefault(d => d.ClassName == cls);
            Assert.True(match is not null, $"No {cls} among: {description}");
            Assert.True(Math.Abs(match.Confidence - score) <= ScoreTolerance, $"{cls} scored {match.Confidence:0.000}, expected {score:0.000}.");
            Assert.True(
                Math.Abs(match.Box.X1 - box.X1) <= BoxTolerance && Math.Abs(match.Box.Y1 - box.Y1) <= BoxTolerance &&
                Math.Abs(match.Box.X2 - box.X2) <= BoxTolerance && Math.Abs(match.Box.Y2 - box.Y2) <= BoxTolerance,
                $"{cls} box {match.Box} is not within {BoundingBoxText(box)} ± {BoxTolerance}.");
        }
    }

    private static string BoundingBoxText(BoundingBox box) => $"({box.X1},{box.Y1})-({box.X2},{box.Y2})";
}
