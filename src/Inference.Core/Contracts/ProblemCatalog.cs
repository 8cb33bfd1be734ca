using Inference.Core.Imaging;

namespace Inference.Core.Contracts;

/// <summary>
/// The error codes every front end answers with (RFC 7807 <c>type</c> URN plus a <c>code</c> extension), so a
/// client switches on the same values whether it called the HTTP service or the Lambda function.
/// </summary>
public static class ProblemCatalog
{
    public static string TypeUri(string code) => $"urn:inference:problem:{code}";

    public static (int Status, string Code, string Title) ForImage(ImageFailureReason reason) => reason switch
    {
        ImageFailureReason.NotAnImage => (400, "not-an-image", "The body is not an image"),
        ImageFailureReason.Unsupported => (415, "unsupported-image", "Unsupported image format"),
        ImageFailureReason.TooLarge => (422, "image-too-large", "Image too large"),
        ImageFailureReason.TooComplex => (422, "image-too-complex", "Image too costly to decode"),
        _ => (422, "corrupt-image", "Corrupt image"),
    };
}
