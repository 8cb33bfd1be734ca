using Inference.Core.Tests.Support;
using Inference.DemoModel;

namespace Inference.Core.Tests.DemoModel;

public sealed class DemoModelDetectionTests(DemoModelFixture demo) : IClassFixture<DemoModelFixture>
{
    [Fact]
    public void Golden_image_gives_exact_boxes_with_full_confidence()
    {
        var scene = DemoModelFiles.GoldenScene();
        var result = demo.Pipeline.Detect(scene.RenderPng());

        Assert.Equal(scene.Shapes.Count, result.Detections.Count);
        foreach (var shape in scene.Shapes)
        {
            var match = Assert.Single(result.Detections, d => d.ClassName == shape.ClassName);
            Assert.Equal(shape.Box, match.Box);
            Assert.Equal(1f, match.Confidence, 3);
        }
    }
}
