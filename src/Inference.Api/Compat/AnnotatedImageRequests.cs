using Inference.Core.Contracts;

namespace Inference.Api.Compat;

/// <summary>
/// The one place the compatible front ends answer a request for an annotated image (Roboflow's <c>format=image</c>
/// and <c>visualize_predictions</c>, SageMaker's <c>Accept: image/jpeg</c>): the renderer is not part of this build,
/// so each such request gets the same clear 400 (<c>annotated-image-unavailable</c>). The annotated-image renderer
/// (issue 14) replaces this.
/// </summary>
public static class AnnotatedImageRequests
{
    /// <param name="asked">What asked for the image, as the client wrote it (<c>format=image</c>).</param>
    public static RequestProblemException Unavailable(string asked) => new(ProblemCatalog.AnnotatedImageUnavailable(asked));
}
