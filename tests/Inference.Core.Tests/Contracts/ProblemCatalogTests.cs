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
        var (actualStatus, actualCode, title) = ProblemCatalog.ForImage(reason);

        Assert.Equal((status, code), (actualStatus, actualCode));
        Assert.False(string.IsNullOrWhiteSpace(title));
    }

    [Fact]
    public void No_two_reasons_share_a_code()
    {
        var codes = Enum.GetValues<ImageFailureReason>().Select(r => ProblemCatalog.ForImage(r).Code).ToArray();

        Assert.Equal(codes.Length, codes.Distinct().Count());
    }
}
