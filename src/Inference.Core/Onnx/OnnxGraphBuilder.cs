using System.Globalization;
using Onnx;

namespace Inference.Core.Onnx;

/// <summary>
/// A thin, deterministic way to write an ONNX graph with the generated protobuf classes: every node output and
/// constant gets a sequential name (behind an optional prefix, so a fragment can be merged into another model
/// without clashing), and the same calls always serialise to the same bytes. The demo model and the uint8 input
/// stage are both written with it.
/// </summary>
public sealed class OnnxGraphBuilder(string graphName, string namePrefix = "")
{
    private readonly GraphProto _graph = new() { Name = graphName };
    private int _counter;

    /// <summary>A float32 graph input.</summary>
    public string Input(string name, params object[] dims) => Input(name, TensorProto.Types.DataType.Float, dims);

    public string Input(string name, TensorProto.Types.DataType elementType, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, elementType, dims));
        return name;
    }

    /// <summary>A float32 graph output.</summary>
    public void Output(string name, params object[] dims) => _graph.Output.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));

    public string Floats(float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = NextConstantName(), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Scalar(float value) => Floats([value]);

    public string Int64s(params long[] values)
    {
        var tensor = new TensorProto { Name = NextConstantName(), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    private string NextConstantName() => string.Create(CultureInfo.InvariantCulture, $"{namePrefix}const_{_graph.Initializer.Count}");

    public string Node(string op, string[] inputs, params AttributeProto[] attributes) => NodeNamed(op, null, inputs, attributes);

    public string NodeNamed(string op, string? output, string[] inputs, params AttributeProto[] attributes)
    {
        var index = _counter++;
        output ??= string.Create(CultureInfo.InvariantCulture, $"{namePrefix}{op.ToLowerInvariant()}_{index}");
        var node = new NodeProto { OpType = op, Name = string.Create(CultureInfo.InvariantCulture, $"{namePrefix}n{index}_{op}") };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public ModelProto Build(int opset, string producer, string docString, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var model = new ModelProto
        {
            IrVersion = 7,
            ProducerName = producer,
            ProducerVersion = "1",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    /// <summary>
    /// Puts the nodes and constants written so far in front of <paramref name="target"/>'s own (a graph's nodes are
    /// in topological order, so a stage that feeds the model goes first). Its inputs and outputs are not copied.
    /// </summary>
    public void PrependTo(GraphProto target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var nodes = _graph.Node.Concat(target.Node).ToArray();
        target.Node.Clear();
        target.Node.AddRange(nodes);
        target.Initializer.AddRange(_graph.Initializer);
    }

    public static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, object[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }
}
