using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Testing;

namespace Inference.Core.Tests.RealModel;

/// <summary>A real COCO detector on real photos, against the detections listed in the fixtures README.</summary>
public sealed class YoloxNanoTests
{
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

    private static IReadOnlyDictionary<string, FixtureDetection[]> Expected => YoloxFixture.ExpectedDetections;

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

    private static void AssertMatches(FixtureDetection[] expected, IReadOnlyList<Detection> actual) =>
        Assert.Null(YoloxFixture.Mismatch(expected, actual));
}
