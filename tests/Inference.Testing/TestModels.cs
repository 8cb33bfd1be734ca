using System.Globalization;
using Google.Protobuf;
using Inference.DemoModel;
using Onnx;

namespace Inference.Testing;

/// <summary>
/// Real ONNX files in the other layouts and metadata a user brings, made from the demo detector: the same
/// measuring graph re-laid as a YOLOv5 export, an NMS-fused end-to-end export, a dynamic input with Ultralytics
/// metadata, or another task. Each runs in ONNX Runtime like the originals.
/// </summary>
public static class TestModels
{
    public const string DemoOutput = "output0";

    /// <summary>The demo detector, changed by <paramref name="change"/>, written to <paramref name="directory"/>.</summary>
    public static string Demo(string directory, string fileName, Action<ModelProto>? change = null)
    {
        var model = ShapesDetectorGraph.Build();
        change?.Invoke(model);
        return Write(directory, fileName, model);
    }

    public static string Write(string directory, string fileName, ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    /// <summary>Sets (or, with null, removes) one custom metadata entry, as Ultralytics' exporter writes them.</summary>
    public static Action<ModelProto> Metadata(string key, string? value) => model =>
    {
        foreach (var existing in model.MetadataProps.Where(p => p.Key == key).ToArray())
        {
            model.MetadataProps.Remove(existing);
        }

        if (value is not null)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
    };

    /// <summary>Adds <paramref name="megabytes"/> MB of weights no node reads: a large file that still loads and detects the same.</summary>
    public static Action<ModelProto> Padded(int megabytes) => model =>
    {
        var values = new float[megabytes * (1 << 20) / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = i % 251;
        }

        Initializer(model.Graph, values, values.Length);
    };

    /// <summary>Declares the input's height and width symbolic, as a <c>dynamic=True</c> export does (the graph still runs at 640).</summary>
    public static void DynamicSize(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        dims[2] = new TensorShapeProto.Types.Dimension { DimParam = "height" };
        dims[3] = new TensorShapeProto.Types.Dimension { DimParam = "width" };
    }

    /// <summary>
    /// Re-lays the output as YOLOv5 does, [N, anchors, 5 + classes]: the boxes, an objectness of 1, then the class
    /// scores, so it detects exactly what the demo detector does.
    /// </summary>
    public static void Yolov5Layout(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var last = graph.Node.Single(n => n.Output.Contains(DemoOutput));
        last.Output[0] = "yolov8_layout";
        var transposed = Node(graph, "Transpose", ["yolov8_layout"], Ints("perm", 0, 2, 1));
        var boxes = Node(graph, "Slice", [transposed, Constant(graph, 0), Constant(graph, 4), Constant(graph, 2)]);
        var scores = Node(graph, "Slice", [transposed, Constant(graph, 4), Constant(graph, 4 + ShapesDetectorGraph.ClassCount), Constant(graph, 2)]);
        var best = Node(graph, "ReduceMax", [scores], Ints("axes", 2), Int("keepdims", 1));
        var ones = Node(graph, "Add", [Node(graph, "Mul", [best, Scalar(graph, 0)]), Scalar(graph, 1)]);
        Node(graph, "Concat", [boxes, ones, scores], DemoOutput, Int("axis", 2));
        SetOutputShape(graph, ShapesDetectorGraph.AnchorCount, 5 + ShapesDetectorGraph.ClassCount);
    }

    /// <summary>
    /// An NMS-fused export, [N, rows, 6] of x1 y1 x2 y2 score class, that answers <paramref name="detections"/> for
    /// any image (the image still flows through the graph). The class count is not in the shape: it needs names.
    /// </summary>
    public static ModelProto End2End(IReadOnlyList<(float X1, float Y1, float X2, float Y2, float Score, int ClassId)> detections, int rows = 300)
    {
        ArgumentNullException.ThrowIfNull(detections);
        var model = ShapesDetectorGraph.Build();
        var graph = model.Graph;
        graph.Node.Clear();
        graph.Initializer.Clear();
        var values = new float[rows * 6];
        for (var i = 0; i < detections.Count; i++)
        {
            var d = detections[i];
            new[] { d.X1, d.Y1, d.X2, d.Y2, d.Score, d.ClassId }.CopyTo(values, i * 6);
        }

        var table = Initializer(graph, values, 1, rows, 6);
        var mean = Node(graph, "ReduceMean", [graph.Input[0].Name], Ints("axes", 1, 2, 3), Int("keepdims", 0));
        var zero = Node(graph, "Unsqueeze", [Node(graph, "Mul", [mean, Scalar(graph, 0)]), Constant(graph, 1, 2)]);
        Node(graph, "Add", [table, zero], DemoOutput);
        SetOutputShape(graph, rows, 6);
        model.MetadataProps.Clear();
        return model;
    }

    private static void SetOutputShape(GraphProto graph, long rows, long columns)
    {
        var dims = graph.Output.Single(o => o.Name == DemoOutput).Type.TensorType.Shape.Dim;
        dims[1] = new TensorShapeProto.Types.Dimension { DimValue = rows };
        dims[2] = new TensorShapeProto.Types.Dimension { DimValue = columns };
    }

    private static string Node(GraphProto graph, string op, string[] inputs, params AttributeProto[] attributes) =>
        Node(graph, op, inputs, $"test_{op.ToLowerInvariant()}_{graph.Node.Count}", attributes);

    private static string Node(GraphProto graph, string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"test_n{graph.Node.Count}_{op}" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return output;
    }

    private static string Constant(GraphProto graph, params long[] values)
    {
        var tensor = new TensorProto { Name = NextName(graph), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    private static string Scalar(GraphProto graph, float value) => Initializer(graph, [value], 1);

    private static string Initializer(GraphProto graph, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = NextName(graph), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    private static string NextName(GraphProto graph) => string.Create(CultureInfo.InvariantCulture, $"test_const_{graph.Initializer.Count}");

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
