using Inference.Core.Imaging;

namespace Inference.Core.Pipeline;

/// <summary>An image already decoded and letterboxed into its batch slot; the transform maps boxes back.</summary>
public readonly record struct PreparedImage(LetterboxTransform Transform, double DecodeMs, double PreprocessMs);
