namespace Inference.Core.Imaging;

/// <summary>
/// What a header-only look found, and what <see cref="ImageDecoder.Decode"/> will produce for the same target.
/// </summary>
/// <param name="Format">The container format, e.g. "JPEG".</param>
/// <param name="SourceWidth">Width of the original image after EXIF orientation: the space boxes are reported in.</param>
/// <param name="SourceHeight">Height of the original image after EXIF orientation.</param>
/// <param name="Width">Width of the pixels the decode will hold (smaller than the source after a DCT-scaled decode).</param>
/// <param name="Height">Height of the pixels the decode will hold.</param>
/// <param name="Orientation">The orientation tag that the decode will apply.</param>
/// <param name="DecodeBytes">
/// Peak memory the decode needs: the pixels it returns, a second buffer when it must rotate, and an estimate of
/// the codec's own working memory (a progressive JPEG's coefficients, a lossless WebP's ARGB plane, …).
/// </param>
public readonly record struct ImageProbe(
    string Format,
    int SourceWidth,
    int SourceHeight,
    int Width,
    int Height,
    ImageOrientation Orientation,
    long DecodeBytes);
