using Inference.Core.Model;
using Inference.DemoModel;

namespace Inference.Testing;

/// <summary>Builds small exports in Roboflow's YOLOv8 layout, with the demo model as their trained weights.</summary>
public static class RoboflowExportBuilder
{
    /// <summary>data.yaml with a roboflow block, train/valid/test images with YOLO labels, and optional weights.</summary>
    public static string Build(string directory, string name, string[] classes, bool onnx = true, bool torch = false)
    {
        var root = Path.Combine(directory, name);
        var splits = new Dictionary<string, int> { ["train"] = 3, ["valid"] = 2, ["test"] = 1 };
        var seed = 0;
        foreach (var (split, count) in splits)
        {
            Directory.CreateDirectory(Path.Combine(root, split, "images"));
            Directory.CreateDirectory(Path.Combine(root, split, "labels"));
            for (var i = 0; i < count; i++, seed++)
            {
                var scene = SceneGenerator.Random(seed, 640, 480, 3);
                File.WriteAllBytes(Path.Combine(root, split, "images", $"img{i}.png"), scene.RenderPng());
                File.WriteAllLines(Path.Combine(root, split, "labels", $"img{i}.txt"), scene.Shapes.Select(s =>
                    FormattableString.Invariant($"{s.ClassId} {(s.X + (s.Width / 2.0)) / 640:0.0000} {(s.Y + (s.Height / 2.0)) / 480:0.0000} {s.Width / 640.0:0.0000} {s.Height / 480.0:0.0000}")));
            }
        }

        File.WriteAllText(Path.Combine(root, "data.yaml"), $"""
            train: ../train/images
            val: ../valid/images
            test: ../test/images

            nc: {classes.Length}
            names: [{string.Join(", ", classes.Select(c => $"'{c}'"))}]

            roboflow:
              workspace: acme
              project: shapes
              version: 3
              license: CC BY 4.0
              url: https://universe.roboflow.com/acme/shapes/dataset/3
            """);
        Directory.CreateDirectory(Path.Combine(root, "weights"));
        if (onnx)
        {
            var demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
            File.Copy(demo.ResolvePath(demo.Weights!), Path.Combine(root, "weights", "best.onnx"));
        }

        if (torch)
        {
            File.WriteAllText(Path.Combine(root, "weights", "best.pt"), "pretend torch checkpoint");
        }

        return root;
    }
}
