using Inference.Core.Model;

namespace Inference.Core.Imaging;

/// <summary>
/// The size the decoded pixels will be letterboxed into. The decoder uses it to pick a reduced JPEG DCT scale
/// whose result still covers the letterbox content; <see cref="Full"/> asks for every pixel.
/// </summary>
public readonly record struct ImageTarget(int Width, int Height)
{
    /// <summary>No scaling: decode at the stored size.</summary>
    public static ImageTarget Full => default;

    public bool IsFull => Width <= 0 || Height <= 0;

    public static ImageTarget For(InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new(input.Width, input.Height);
    }
}
