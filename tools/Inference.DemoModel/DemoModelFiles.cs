using System.Text.Json;
using Google.Protobuf;
using Inference.Core.Model;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.DemoModel;

/// <summary>Writes the demo model, its manifest and its sample images with ground truth into one directory.</summary>
public static class DemoModelFiles
{
    public const string ModelName = "shapes-demo";
    public const string ModelVersion = "2";
    public const string WeightsFile = "model.onnx";
    public const string ManifestFile = "manifest.json";
    public const string TruthFile = "samples/truth.json";
    public const string GoldenImage = "samples/golden.png";

    private static readonly JsonSerializerOptions TruthJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The committed sample pictures besides the golden one: a landscape and a portrait frame.</summary>
    public static IReadOnlyDictionary<string, Scene> Samples { get; } = new SortedDictionary<string, Scene>(StringComparer.Ordinal)
    {
        [GoldenImage] = GoldenScene(),
        ["samples/landscape.png"] = SceneGenerator.Random(seed: 7, width: 1280, height: 720, count: 6),
        ["samples/portrait.png"] = SceneGenerator.Random(seed: 11, width: 540, height: 960, count: 5),
    };

    /// <summary>Writes every file and returns their paths relative to <paramref name="directory"/>.</summary>
    public static IReadOnlyList<string> Write(string directory)
    {
        Directory.CreateDirectory(Path.Combine(directory, "samples"));
        var weights = ShapesDetectorGraph.Build().ToByteArray();
        File.WriteAllBytes(Path.Combine(directory, WeightsFile), weights);

        foreach (var (path, scene) in Samples)
        {
            File.WriteAllBytes(Path.Combine(directory, path), scene.RenderPng());
        }

        var truth = Samples.ToDictionary(s => s.Key, s => s.Value.Shapes.Select(shape => new { @class = shape.ClassName, kind = shape.Kind.ToString().ToLowerInvariant(), box = shape.Box }));
        File.WriteAllText(Path.Combine(directory, TruthFile), JsonSerializer.Serialize(truth, TruthJson) + "\n");
        File.WriteAllText(Path.Combine(directory, ManifestFile), Manifest(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(weights))).ToJson() + "\n");
        return [WeightsFile, ManifestFile, TruthFile, .. Samples.Keys];
    }

    public static ModelManifest Manifest(string sha256) => new()
    {
        Schema = "../manifest.schema.json",
        Name = ModelName,
        Version = ModelVersion,
        Format = OutputFormat.Yolov8,
        Input = new ModelInput
        {
            Width = ShapesDetectorGraph.InputSize,
            Height = ShapesDetectorGraph.InputSize,
            ChannelOrder = ChannelOrder.Rgb,
            PixelScale = PixelScale.Unit,
            Anchor = LetterboxAnchor.Center,
            PadValue = 114,
        },
        Classes = ShapeClasses.Names,
        Sha256 = sha256,
        Weights = WeightsFile,
        Golden =
        [
            new GoldenCheck
            {
                Image = GoldenImage,

                // Golden shapes are centred on anchors, so the model is exact: score 1 and pixel-true boxes.
                Expected = GoldenScene().Shapes.Select(s => new ExpectedDetection(s.ClassName, 1f, s.Box)).ToArray(),
                BoxTolerance = 1,
                ConfidenceTolerance = 0.01f,
            },
        ],
    };

    /// <summary>One shape per class, each centred on an anchor pixel with odd sides, on a 640×640 canvas.</summary>
    public static Scene GoldenScene()
    {
        static Shape Centred(ShapeKind kind, int classId, int anchorX, int anchorY, int halfWidth, int halfHeight)
        {
            var cx = (anchorX * ShapesDetectorGraph.Stride) + ShapesDetectorGraph.AnchorOffset;
            var cy = (anchorY * ShapesDetectorGraph.Stride) + ShapesDetectorGraph.AnchorOffset;
            return new Shape(kind, classId, cx - halfWidth, cy - halfHeight, (2 * halfWidth) + 1, (2 * halfHeight) + 1);
        }

        return new Scene(ShapesDetectorGraph.InputSize, ShapesDetectorGraph.InputSize, new Rgb24(255, 255, 255),
        [
            Centred(ShapeKind.Rectangle, 0, 15, 15, 80, 50),
            Centred(ShapeKind.Ellipse, 1, 55, 15, 60, 60),
            Centred(ShapeKind.Ellipse, 2, 20, 55, 90, 40),
            Centred(ShapeKind.Rectangle, 3, 60, 58, 40, 70),
        ]);
    }
}
