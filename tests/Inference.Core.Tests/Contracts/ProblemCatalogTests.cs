using Inference.Core.Contracts;
using Inference.Core.Imaging;

namespace Inference.Core.Tests.Contracts;

public sealed class ProblemCatalogTests
{
    [Theory]
    [InlineData(ImageFailureReason.NotAnImage, 400, "not-an-image")]
    [InlineData(ImageFailureReason.Corrupt, 422, "corrupt-image")]
    [InlineData(ImageFailureReason.TooLarge, 422, "image-too-large")]
    [InlineData(ImageFailureReason.TooComplex, 422, "image-too-complex")]
    [InlineData(ImageFailureReason.Unsupported, 415, "unsupported-image")]
    public void Every_image_failure_has_its_own_status_and_code(ImageFailureReason reason, int status, string code)
    {
        var problem = ProblemCatalog.Image(new ImageDecodeException(reason, "why"));

        Assert.Equal((status, code, "why"), (problem.Status, problem.Code, problem.Detail));
        Assert.False(string.IsNullOrWhiteSpace(problem.Title));
    }

    [Fact]
    public void No_two_reasons_share_a_code()
    {
        var codes = Enum.GetValues<ImageFailureReason>().Select(r => ProblemCatalog.Image(new ImageDecodeException(r, "why")).Code).ToArray();

        Assert.Equal(codes.Length, codes.Distinct().Count());
    }
}
