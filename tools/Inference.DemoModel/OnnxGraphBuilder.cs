using System.Globalization;
using Onnx;

namespace Inference.DemoModel;

/// <summary>
/// A thin, deterministic way to write an ONNX graph with the generated protobuf classes: every node output
/// gets a sequential name, so the same calls always serialise to the same bytes.
/// </summary>
public sealed class OnnxGraphBuilder(string graphName)
{
    private readonly GraphProto _graph = new() { Name = graphName };
    private int _counter;

    public string Input(string name, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, dims));
        return name;
    }

    public void Output(string name, params object[] dims) => _graph.Output.Add(ValueInfo(name, dims));

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

    private string NextConstantName() => string.Create(CultureInfo.InvariantCulture, $"const_{_graph.Initializer.Count}");

    public string Node(string op, string[] inputs, params AttributeProto[] attributes) => NodeNamed(op, null, inputs, attributes);

    public string NodeNamed(string op, string? output, string[] inputs, params AttributeProto[] attributes)
    {
        var index = _counter++;
        output ??= string.Create(CultureInfo.InvariantCulture, $"{op.ToLowerInvariant()}_{index}");
        var node = new NodeProto { OpType = op, Name = string.Create(CultureInfo.InvariantCulture, $"n{index}_{op}") };
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

    private static ValueInfoProto ValueInfo(string name, object[] dims)
    {
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
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
