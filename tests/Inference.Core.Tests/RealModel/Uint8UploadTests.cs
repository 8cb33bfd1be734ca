using Inference.Core.Backends;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Core.Serving;
using Inference.DemoModel;
using Inference.Testing;

namespace Inference.Core.Tests.RealModel;

/// <summary>
/// The uint8 upload end to end on CPU: the same photos through the float path and through the merged uint8 stage
/// find the same objects. The only difference between the two inputs is the rounding of the resized pixels to
/// whole grey levels (at most half a level), so boxes and scores agree to well within the fixtures' tolerance.
/// </summary>
public sealed class Uint8UploadTests
{
    private const float BoxTolerance = 1.5f;
    private const float ScoreTolerance = 0.01f;
    private static readonly ModelBackendSettings Uint8 = new(Upload: InputUpload.Uint8);

    private static readonly string[] Photos = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"];

    [SkippableTheory]
    [InlineData(YoloxFixture.DynamicModel)]
    [InlineData(YoloxFixture.StaticModel)]
    public async Task Yolox_finds_the_same_objects_on_the_fixture_photos_as_the_float_path(string model)
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        await using var floats = await YoloxFixture.LoadAsync(model);
        await using var bytes = await YoloxFixture.LoadAsync(model, settings: Uint8);
        var photos = Photos.Select(p => (ReadOnlyMemory<byte>)File.ReadAllBytes(YoloxFixture.Photo(p)));

        foreach (var photo in photos)
        {
            var expected = await floats.DetectAsync(photo);
            var actual = await bytes.DetectAsync(photo);
            AssertSameDetections(expected.Detections, actual.Detections);
        }

        Assert.Equal((SlotLayout.UInt8Nhwc, InputUpload.Uint8), (bytes.Model.Signature.Layout, bytes.Model.Upload));
        Assert.Equal((SlotLayout.Float32Nchw, InputUpload.Float32), (floats.Model.Signature.Layout, floats.Model.Upload));
        Assert.Equal(floats.Model.Signature.StaticBatchSize, bytes.Model.Signature.StaticBatchSize);
    }

    [SkippableFact]
    public async Task A_batch_of_photos_through_the_uint8_stage_matches_one_at_a_time()
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        await using var bytes = await YoloxFixture.LoadAsync(YoloxFixture.DynamicModel, batching: new Core.Scheduling.BatchingOptions { MaxBatchSize = 4 }, settings: Uint8);
        var photos = Photos.Select(p => (ReadOnlyMemory<byte>)File.ReadAllBytes(YoloxFixture.Photo(p))).ToArray();

        var together = await bytes.DetectAsync(photos);

        for (var i = 0; i < photos.Length; i++)
        {
            Assert.Equal((await bytes.DetectAsync(photos[i])).Detections, together[i].Detections);
        }
    }

    [Fact]
    public async Task The_demo_model_gives_its_golden_detections_through_the_uint8_stage()
    {
        var manifest = ModelManifest.Load(RepositoryPaths.DemoManifest);
        await using var floats = await LocalDetector.LoadAsync(manifest, manifest.ResolvePath(manifest.Weights!));
        await using var bytes = await LocalDetector.LoadAsync(manifest, manifest.ResolvePath(manifest.Weights!), settings: Uint8);

        var golden = await bytes.RunGoldenChecksAsync();
        var scenes = Enumerable.Range(0, 3).Select(i => (ReadOnlyMemory<byte>)SceneGenerator.Random(i, 640, 480, 5).RenderPng()).ToArray();

        Assert.All(golden, g => Assert.True(g.Passed, g.ToString()));
        for (var i = 0; i < scenes.Length; i++)
        {
            AssertSameDetections((await floats.DetectAsync(scenes[i])).Detections, (await bytes.DetectAsync(scenes[i])).Detections);
        }
    }

    private static void AssertSameDetections(IReadOnlyList<Detection> expected, IReadOnlyList<Detection> actual)
    {
        Assert.Equal(expected.Select(d => d.ClassName), actual.Select(d => d.ClassName));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.InRange(actual[i].Confidence, expected[i].Confidence - ScoreTolerance, expected[i].Confidence + ScoreTolerance);
            AssertNear(expected[i].Box, actual[i].Box);
        }
    }

    private static void AssertNear(BoundingBox expected, BoundingBox actual)
    {
        Assert.InRange(actual.X1, expected.X1 - BoxTolerance, expected.X1 + BoxTolerance);
        Assert.InRange(actual.Y1, expected.Y1 - BoxTolerance, expected.Y1 + BoxTolerance);
        Assert.InRange(actual.X2, expected.X2 - BoxTolerance, expected.X2 + BoxTolerance);
        Assert.InRange(actual.Y2, expected.Y2 - BoxTolerance, expected.Y2 + BoxTolerance);
    }
}
