using System.Text.Json;
using Inference.Core.Model;
using Inference.Testing;

namespace Inference.Cli.Tests;

/// <summary>From an ONNX file to a served model with the onboarding verbs: inspect, init, validate, predict.</summary>
public sealed class OnboardingTests : IDisposable
{
    private static readonly ModelManifest Demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
    private readonly string _directory = Directory.CreateTempSubdirectory("onboarding-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string DemoWeights => Demo.ResolvePath(Demo.Weights!);

    private static string Golden => Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png");

    [Fact]
    public async Task Inspect_shows_tensors_metadata_and_what_the_service_would_make_of_them()
    {
        var run = await CliRun.RunAsync("model", "inspect", DemoWeights);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches(@"input\s+images\s+float\s+\[batch, 3, 640, 640\]", run.Output);
        Assert.Matches(@"output\s+output0\s+float\s+\[batch, 8, 6400\]", run.Output);
        Assert.Matches(@"imgsz\s+\[640, 640\]", run.Output);
        Assert.Matches(@"format\s+yolov8", run.Output);
        Assert.Matches(@"input\.channelOrder\s+rgb\s+the yolov8 format", run.Output);
        Assert.Matches(@"classes\s+4: red, green, blue, yellow", run.Output);
    }

    [Fact]
    public async Task Inspect_as_json_carries_the_same_facts()
    {
        var run = await CliRun.RunAsync("model", "inspect", DemoWeights, "--json");

        Assert.True(run.ExitCode == 0, run.Error);
        var inspection = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal(["batch", "3", "640", "640"], inspection.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal("8", inspection.GetProperty("metadata").GetProperty("stride").GetString());
        Assert.Equal("yolov8", inspection.GetProperty("detected").GetProperty("format").GetString());
        Assert.Equal("center", inspection.GetProperty("detected").GetProperty("input").GetProperty("anchor").GetString());
    }

    [Fact]
    public async Task Inspect_says_in_the_loaders_words_why_a_model_would_not_load()
    {
        var weights = TestModels.Demo(_directory, "segment.onnx", TestModels.Metadata("task", "segment"));

        var run = await CliRun.RunAsync("model", "inspect", weights);

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"task\s+segment", run.Output);
        Assert.Equal($"error: The service would not load '{weights}' as it is: The ONNX metadata says task 'segment'; this service serves detection models (task 'detect'). Export a detection model instead.", run.Error.Trim());
    }

    [SkippableFact]
    public async Task A_yolox_file_goes_from_init_to_validate_to_predict_with_yolox_conventions()
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        var manifest = Path.Combine(_directory, "yolox", "manifest.json");
        Directory.CreateDirectory(Path.GetDirectoryName(manifest)!);
        var weights = Path.Combine(YoloxFixture.ModelDirectory, YoloxFixture.DynamicModel);

        var init = await CliRun.RunAsync("model", "init", weights, "--classes", Path.Combine(YoloxFixture.ModelDirectory, "classes.txt"), "--output", manifest, "--name", "yolox-nano",
            "--golden", YoloxFixture.Photo("coffee.png"));
        var validate = await CliRun.RunAsync("model", "validate", manifest);
        var predict = await CliRun.RunAsync("predict", manifest, YoloxFixture.Photo("astronaut.png"), YoloxFixture.Photo("rocket.jpg"), "--confidence", "0.3", "--json");

        Assert.True(init.ExitCode == 0, init.Error);
        Assert.Contains($"Wrote {manifest} for yolox (Megvii YOLOX):", init.Output, StringComparison.Ordinal);
        Assert.Contains($"Next: inference model validate {manifest}", init.Output, StringComparison.Ordinal);
        var written = ModelManifest.Load(manifest);
        Assert.Equal((OutputFormat.Yolox, 416, 416), (written.Format, written.Input.Width, written.Input.Height));
        Assert.Equal((ChannelOrder.Bgr, PixelScale.Raw, LetterboxAnchor.TopLeft, (byte)114), (written.Input.ChannelOrder, written.Input.PixelScale, written.Input.Anchor, written.Input.PadValue));
        Assert.Equal(80, written.Classes!.Count);
        Assert.Equal(weights, written.ResolvePath(written.Weights!));
        var golden = Assert.Single(written.Golden);
        Assert.Equal(["cup", "dining table"], golden.Expected.Select(e => e.Class).Order());
        Assert.Equal(YoloxFixture.Photo("coffee.png"), written.ResolvePath(golden.Image));
        Assert.True(validate.ExitCode == 0, validate.Error);
        Assert.Contains("golden ../../", validate.Output, StringComparison.Ordinal);
        Assert.Contains("coffee.png: passed (2 detections)", validate.Output, StringComparison.Ordinal);
        Assert.Contains("Valid: the service would load and serve this model.", validate.Output, StringComparison.Ordinal);
        Assert.True(predict.ExitCode == 0, predict.Error);
        var answers = JsonDocument.Parse(predict.Output).RootElement;
        var person = Assert.Single(answers[0].GetProperty("detections").EnumerateArray());
        Assert.Equal("person", person.GetProperty("class").GetString());
        Assert.Equal(0.925, person.GetProperty("confidence").GetDouble(), 0.05);
        Assert.Empty(answers[1].GetProperty("detections").EnumerateArray());
    }

    [Fact]
    public async Task Init_takes_names_from_the_metadata_and_points_editors_at_the_schema()
    {
        var manifest = Path.Combine(_directory, "manifest.json");

        var run = await CliRun.RunAsync("model", "init", DemoWeights, "--output", manifest);

        Assert.True(run.ExitCode == 0, run.Error);
        var written = ModelManifest.Load(manifest);
        Assert.Equal(("model", "1", OutputFormat.Yolov8), (written.Name, written.Version, written.Format));
        Assert.Equal(["red", "green", "blue", "yellow"], written.Classes);
        Assert.Equal((ChannelOrder.Rgb, PixelScale.Unit, LetterboxAnchor.Center, (byte)114), (written.Input.ChannelOrder, written.Input.PixelScale, written.Input.Anchor, written.Input.PadValue));
        var schema = new Uri(written.Schema!);
        Assert.True(schema.IsFile, written.Schema);
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "models", "manifest.schema.json")), File.ReadAllText(schema.LocalPath));
    }

    [Fact]
    public async Task Init_inside_a_checkout_points_at_the_repository_schema_relatively()
    {
        var folder = Path.Combine(RepositoryPaths.Root, "models", $"init-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var run = await CliRun.RunAsync("model", "init", DemoWeights, "--output", Path.Combine(folder, "manifest.json"));

            Assert.True(run.ExitCode == 0, run.Error);
            Assert.Equal("../manifest.schema.json", ModelManifest.Load(Path.Combine(folder, "manifest.json")).Schema);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Init_never_overwrites_a_manifest_unless_forced()
    {
        var manifest = Path.Combine(_directory, "manifest.json");
        await File.WriteAllTextAsync(manifest, "mine");

        var refused = await CliRun.RunAsync("model", "init", DemoWeights, "--output", manifest);
        var forced = await CliRun.RunAsync("model", "init", DemoWeights, "--output", manifest, "--force");

        Assert.Equal(4, refused.ExitCode);
        Assert.Equal($"error: '{manifest}' exists already; pass --force to overwrite it, or --output to write elsewhere.", refused.Error.Trim());
        Assert.Equal(0, forced.ExitCode);
        Assert.Equal("model", ModelManifest.Load(manifest).Name);
    }

    [Fact]
    public async Task Init_asks_for_the_size_only_when_the_model_cannot_say()
    {
        var weights = TestModels.Demo(_directory, "dynamic.onnx", m => { TestModels.DynamicSize(m); TestModels.Metadata("imgsz", null)(m); });

        var refused = await CliRun.RunAsync("model", "init", weights, "--output", "-");
        var sized = await CliRun.RunAsync("model", "init", weights, "--output", "-", "--input-size", "640");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("the model carries no imgsz metadata, so its size is unknown", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, sized.ExitCode);
        var manifest = ModelManifest.Parse(sized.Output);
        Assert.Equal((640, 640), (manifest.Input.Width, manifest.Input.Height));
    }

    [Fact]
    public async Task Validate_lists_every_problem_of_a_broken_manifest_and_exits_1()
    {
        var manifest = Path.Combine(_directory, "broken.json");
        await File.WriteAllTextAsync(manifest, $$"""{ "name": "m", "version": "1", "weights": "{{DemoWeights}}", "input": { "widht": 640, "pixelScale": 255 } }""");

        var run = await CliRun.RunAsync("model", "validate", manifest);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            [
                $"error: '{manifest}' is not valid:",
                "  - '$.input.widht' is not a field of '$.input'; did you mean 'width'? The fields of '$.input' are: width, height, channelOrder, pixelScale, anchor, padValue, tensor.",
                "  - '$.input.pixelScale' must be one of \"0-1\", \"0-255\" (got the number 255); enums are written as their names, never as numbers.",
            ],
            run.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Validate_runs_the_golden_checks_and_reports_as_json()
    {
        var good = await CliRun.RunAsync("model", "validate", RepositoryPaths.DemoManifest, "--json");
        var manifest = Path.Combine(_directory, "wrong-golden.json");
        var check = Demo.Golden[0];
        await File.WriteAllTextAsync(manifest, (Demo with
        {
            Weights = DemoWeights,
            Golden = [check with { Image = Golden, Expected = check.Expected.Skip(1).ToArray() }],
        }).ToJson());
        var bad = await CliRun.RunAsync("model", "validate", manifest, "--json");

        Assert.Equal(0, good.ExitCode);
        Assert.True(JsonDocument.Parse(good.Output).RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(1, bad.ExitCode);
        var report = JsonDocument.Parse(bad.Output).RootElement;
        Assert.False(report.GetProperty("passed").GetBoolean());
        Assert.StartsWith($"Golden check '{Golden}' failed: Unexpected red 1.000", report.GetProperty("problems")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("model-invalid", JsonDocument.Parse(bad.Error).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Predict_prints_a_table_of_detections_per_image()
    {
        var run = await CliRun.RunAsync("predict", RepositoryPaths.DemoManifest, Golden, Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "portrait.png"));

        Assert.True(run.ExitCode == 0, run.Error);
        var rows = run.Output.Split('\n').Where(l => l.Contains(".png", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4 + 5, rows.Length);
        Assert.Contains(rows, r => System.Text.RegularExpressions.Regex.IsMatch(r, @"golden\.png\s+640x640\s+red\s+1\.000\s+44\s+74\s+205\s+175"));
    }

    [Fact]
    public async Task Predict_reports_an_unreadable_image_and_still_answers_the_others()
    {
        var text = Path.Combine(_directory, "notes.png");
        await File.WriteAllTextAsync(text, "not a picture");

        var run = await CliRun.RunAsync("predict", RepositoryPaths.DemoManifest, Golden, text, "--json");
        var missing = await CliRun.RunAsync("predict", RepositoryPaths.DemoManifest, Path.Combine(_directory, "absent.png"));

        Assert.Equal(1, run.ExitCode);
        Assert.Single(JsonDocument.Parse(run.Output).RootElement.EnumerateArray());
        var error = JsonDocument.Parse(run.Error).RootElement;
        Assert.Equal("not-an-image", error.GetProperty("code").GetString());
        Assert.Contains("'notes.png'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, missing.ExitCode);
    }
}
