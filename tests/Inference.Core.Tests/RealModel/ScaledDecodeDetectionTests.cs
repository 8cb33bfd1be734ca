using Inference.Core.Imaging;
using Inference.Core.Repository;
using Inference.Core.Postprocessing;
using Inference.Testing;
using Inference.Testing.Hostile;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Inference.Core.Tests.RealModel;

/// <summary>
/// A JPEG decoded at a reduced DCT scale must give the detections of the full decode: the same classes, boxes
/// within 1% of the image side, scores within 0.05 (issue 10, item 2). YOLOX-Nano on the fixture photos, at their
/// own size and upscaled to phone-photo sizes.
/// </summary>
public sealed class ScaledDecodeDetectionTests
{
    private const double SideTolerance = 0.01;
    private const float ScoreTolerance = 0.05f;

    public static TheoryData<string, int, ushort> Photos()
    {
        var data = new TheoryData<string, int, ushort>();
        foreach (var photo in new[] { "astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg" })
        {
            data.Add(photo, 1, 1);
            data.Add(photo, 6, 1);
        }

        data.Add("coffee.png", 6, 6);
        data.Add("chelsea.png", 8, 8);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Photos))]
    public async Task A_dct_scaled_decode_finds_what_the_full_decode_finds(string photo, int upscale, ushort orientation)
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        await using var detector = await YoloxFixture.LoadAsync(YoloxFixture.DynamicModel);
        var jpeg = Jpeg(photo, upscale, orientation);
        var decoder = new ImageDecoder();

        using var fullImage = decoder.Decode(jpeg, ImageTarget.Full, default);
        using var scaledImage = decoder.Decode(jpeg, ImageTarget.For(detector.Model.Input), default);
        var full = await DetectAsync(detector.Model, fullImage);
        var scaled = await DetectAsync(detector.Model, scaledImage);
        var served = await detector.DetectAsync(jpeg);

        Assert.Equal((fullImage.Width, fullImage.Height), (scaledImage.SourceWidth, scaledImage.SourceHeight));
        if (upscale > 1)
        {
            Assert.True(scaledImage.Width * 2 < scaledImage.SourceWidth, $"{scaledImage.Width}×{scaledImage.Height} is not a reduced decode of {scaledImage.SourceWidth}×{scaledImage.SourceHeight}.");
        }

        Assert.Equal(full.Count, scaled.Count);
        Assert.Equal(scaled.Select(Describe), served.Detections.Select(Describe));
        var used = new bool[scaled.Count];
        foreach (var expected in full)
        {
            var match = Enumerable.Range(0, scaled.Count).FirstOrDefault(i => !used[i] && Matches(expected, scaled[i], fullImage.Width, fullImage.Height), -1);
            Assert.True(match >= 0, $"{Describe(expected)} from the full decode has no match in the scaled one: {string.Join("; ", scaled.Select(Describe))}.");
            used[match] = true;
        }
    }

    private static bool Matches(Detection full, Detection scaled, int width, int height) =>
        full.ClassName == scaled.ClassName &&
        Math.Abs(full.Confidence - scaled.Confidence) <= ScoreTolerance &&
        Math.Abs(full.Box.X1 - scaled.Box.X1) <= SideTolerance * width &&
        Math.Abs(full.Box.X2 - scaled.Box.X2) <= SideTolerance * width &&
        Math.Abs(full.Box.Y1 - scaled.Box.Y1) <= SideTolerance * height &&
        Math.Abs(full.Box.Y2 - scaled.Box.Y2) <= SideTolerance * height;

    /// <summary>Letterboxes an already decoded image into a slot of the model's own scheduler and postprocesses its output.</summary>
    private static async Task<IReadOnlyList<Detection>> DetectAsync(ServedModel model, DecodedImage image)
    {
        LetterboxTransform transform = default;
        using var admission = model.Scheduler.Admit(1);
        using var slot = await model.Scheduler.SubmitAsync(admission, image, (batch, index, decoded) => transform = LetterboxTensorizer.Write(decoded, model.Input, batch.Slot(index)));
        return model.Postprocessor.Process(slot.Output.ForImage(slot.Index), transform, model.DefaultOptions);
    }

    /// <summary>
    /// The photo, upscaled, as a JPEG. With an orientation, the pixels are stored turned the other way and
    /// tagged, so the upright image is the photo again (as a phone held sideways writes it).
    /// </summary>
    private static byte[] Jpeg(string photo, int upscale, ushort orientation)
    {
        using var image = Image.Load<Rgb24>(YoloxFixture.Photo(photo));
        image.Mutate(x => x.Resize(image.Width * upscale, image.Height * upscale, KnownResamplers.Bicubic));
        if (orientation == 6)
        {
            image.Mutate(x => x.Rotate(RotateMode.Rotate270));
        }
        else if (orientation == 8)
        {
            image.Mutate(x => x.Rotate(RotateMode.Rotate90));
        }

        var jpeg = SkiaEncoding.Jpeg(image, quality: 92);
        return orientation == 1 ? jpeg : JpegSegments.WithOrientation(jpeg, orientation);
    }

    private static string Describe(Detection d) => $"{d.ClassName} {d.Confidence:0.000} ({d.Box.X1:0},{d.Box.Y1:0})-({d.Box.X2:0},{d.Box.Y2:0})";
}
