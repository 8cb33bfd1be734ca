using Inference.Core.Model;
using Inference.Core.Serving;
using Inference.Testing;

namespace Inference.Core.Tests.Model;

/// <summary>The one offline validation every onboarding verb runs: the service's loader, one run, the golden checks.</summary>
public sealed class ModelCheckTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("model-check-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Manifest(string name, ModelManifest manifest)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, manifest.ToJson());
        return path;
    }

    private static ModelManifest Demo => ModelManifest.Load(RepositoryPaths.DemoManifest);

    [Fact]
    public async Task The_demo_model_passes_with_the_facts_the_service_would_report()
    {
        var report = await ModelCheck.RunAsync(RepositoryPaths.DemoManifest);

        Assert.True(report.Passed, string.Join(" ", report.Problems));
        Assert.Empty(report.Warnings);
        Assert.Equal(("shapes-demo", "yolov8", 640, 4), (report.Model!.Name, report.Model.Format, report.Model.Input.Width, report.Model.Classes.Count));
        Assert.Equal(Demo.Sha256, report.Model.Sha256);
        Assert.True(Assert.Single(report.Golden!.Checks).Passed);
    }

    [Fact]
    public async Task Random_bytes_are_not_a_model()
    {
        var weights = Path.Combine(_directory, "random.onnx");
        var bytes = new byte[100_000];
        new Random(5).NextBytes(bytes);
        await File.WriteAllBytesAsync(weights, bytes);

        var report = await ModelCheck.RunAsync(Manifest("m.json", Demo with { Sha256 = null, Weights = weights, Golden = [] }));

        Assert.False(report.Passed);
        Assert.StartsWith($"'{weights}' could not be loaded as an ONNX model:", Assert.Single(report.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Yolov8_weights_under_a_yolox_manifest_are_refused_with_the_loaders_sentence()
    {
        var manifest = Demo with { Format = OutputFormat.Yolox, Weights = Demo.ResolvePath(Demo.Weights!), Golden = [] };

        var report = await ModelCheck.RunAsync(Manifest("yolox.json", manifest));

        Assert.Equal(
            "The manifest lists 4 classes, but output 'output0' with shape [1, 8, 6400] holds 6395 for the yolox format (4 box values + objectness + 6395 class scores).",
            Assert.Single(report.Problems));
    }

    [Fact]
    public async Task A_golden_check_that_differs_is_a_problem_in_the_services_words()
    {
        var check = Demo.Golden[0];
        var moved = check with { Expected = [.. check.Expected.Skip(1), check.Expected[0] with { Box = check.Expected[0].Box with { X1 = check.Expected[0].Box.X1 + 10 } }] };
        var manifest = Demo with { Weights = Demo.ResolvePath(Demo.Weights!), Golden = [moved with { Image = Demo.ResolvePath(check.Image) }] };

        var report = await ModelCheck.RunAsync(Manifest("golden.json", manifest));

        var problem = Assert.Single(report.Problems);
        Assert.StartsWith($"Golden check '{Demo.ResolvePath(check.Image)}' failed: Missing red 1.000 (54,74)-(205,175). Unexpected red 1.000 (44,74)-(205,175).", problem, StringComparison.Ordinal);
        Assert.NotNull(report.Model);
    }

    [Fact]
    public async Task Without_golden_checks_it_passes_with_the_services_warning()
    {
        var report = await ModelCheck.RunAsync(Manifest("bare.json", Demo with { Weights = Demo.ResolvePath(Demo.Weights!), Golden = [] }));

        Assert.True(report.Passed);
        Assert.Equal("The manifest declares no golden checks; nothing was verified.", Assert.Single(report.Warnings));
    }

    [Fact]
    public async Task A_manifest_that_does_not_parse_reports_each_of_its_problems()
    {
        var path = Path.Combine(_directory, "typo.json");
        await File.WriteAllTextAsync(path, """{ "name": "m", "version": "1", "weights": "x.onnx", "input": { "pixelScale": 1, "widht": 3 } }""");

        var report = await ModelCheck.RunAsync(path);

        Assert.Equal(2, report.Problems.Count);
        Assert.Null(report.Model);
    }
}
