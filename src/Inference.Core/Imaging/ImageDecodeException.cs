namespace Inference.Core.Imaging;

/// <summary>The single typed failure of image decoding; <see cref="Reason"/> says which 4xx it deserves.</summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(ImageFailureReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public ImageDecodeException()
        : this(ImageFailureReason.NotAnImage, "The data is not an image.")
    {
    }

    public ImageDecodeException(string message)
        : this(ImageFailureReason.NotAnImage, message)
    {
    }

    public ImageDecodeException(string message, Exception innerException)
        : this(ImageFailureReason.Corrupt, message, innerException)
    {
    }

    public ImageFailureReason Reason { get; }

    /// <summary>Position of the image in a multi-image request, when the failure came from one.</summary>
    public int? ImageIndex { get; init; }

    public ImageDecodeException WithImageIndex(int index) =>
        new(Reason, $"Image {index}: {Message}", InnerException) { ImageIndex = index };
}
