using Inference.Core.Model;
using Inference.Core.Postprocessing;

namespace Inference.Core.Imaging;

/// <summary>
/// Where an image of <see cref="SourceWidth"/>×<see cref="SourceHeight"/> sits inside the model input after an
/// aspect-preserving resize, and the inverse mapping that brings boxes back to original pixels.
/// </summary>
public readonly record struct LetterboxTransform(
    int SourceWidth,
    int SourceHeight,
    int ContentWidth,
    int ContentHeight,
    int PadLeft,
    int PadTop)
{
    /// <summary>Content pixels per source pixel horizontally (the exact ratio the resize used).</summary>
    public float ScaleX => (float)ContentWidth / SourceWidth;

    public float ScaleY => (float)ContentHeight / SourceHeight;

    public static LetterboxTransform Compute(int sourceWidth, int sourceHeight, InputSpec input) =>
        Compute(sourceWidth, sourceHeight, input.Width, input.Height, input.Anchor);

    public static LetterboxTransform Compute(int sourceWidth, int sourceHeight, int targetWidth, int targetHeight, LetterboxAnchor anchor)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceHeight);
        var ratio = Math.Min((double)targetWidth / sourceWidth, (double)targetHeight / sourceHeight);

        // Rounded like Ultralytics' LetterBox; never below one pixel for extreme aspect ratios.
        var contentWidth = Math.Clamp((int)Math.Round(sourceWidth * ratio), 1, targetWidth);
        var contentHeight = Math.Clamp((int)Math.Round(sourceHeight * ratio), 1, targetHeight);
        return anchor == LetterboxAnchor.Center
            ? new(sourceWidth, sourceHeight, contentWidth, contentHeight, (targetWidth - contentWidth) / 2, (targetHeight - contentHeight) / 2)
            : new(sourceWidth, sourceHeight, contentWidth, contentHeight, 0, 0);
    }

    /// <summary>Maps a box from model-input pixels to original-image pixels, clipped to the image.</summary>
    public BoundingBox ToOriginal(in BoundingBox box)
    {
        var sx = ScaleX;
        var sy = ScaleY;
        return new BoundingBox(
            Math.Clamp((box.X1 - PadLeft) / sx, 0, SourceWidth),
            Math.Clamp((box.Y1 - PadTop) / sy, 0, SourceHeight),
            Math.Clamp((box.X2 - PadLeft) / sx, 0, SourceWidth),
            Math.Clamp((box.Y2 - PadTop) / sy, 0, SourceHeight));
    }

    /// <summary>Maps a box from original pixels into model-input pixels.</summary>
    public BoundingBox ToModel(in BoundingBox box) => new(
        (box.X1 * ScaleX) + PadLeft,
        (box.Y1 * ScaleY) + PadTop,
        (box.X2 * ScaleX) + PadLeft,
        (box.Y2 * ScaleY) + PadTop);
}
