using Google.Protobuf;
using Inference.Core.Model;
using Onnx;
using static Inference.Core.Onnx.OnnxGraphBuilder;

namespace Inference.Core.Onnx;

/// <summary>
/// The uint8 upload (<c>Model:Upload=uint8</c>): a pre-processing stage merged in front of a float32 NCHW model, so
/// the service sends the letterboxed pixels as bytes and the conversion runs where the model runs (on a GPU, a
/// quarter of the bytes cross PCIe). The stage takes uint8 [batch, height, width, 3] RGB under the model's own
/// input name and does, in order: the cast to float, the pixel scale (× 1/255, or none for 0–255 models), the
/// channel swap (for BGR models) and the transpose to NCHW. Fed the same bytes, the merged model computes exactly
/// what the original computes from the float slot the service would write (the scale is the same float multiply).
/// </summary>
public static class Uint8InputStage
{
    /// <summary>Written into the merged model's metadata; the loader accepts a uint8 image input only with it.</summary>
    public const string MetadataKey = "inference.input_stage";

    public const string MetadataValue = "uint8-nhwc-rgb";

    private const string Prefix = "inference_input_stage/";

    // Cast with an integer 'to' and Gather/Transpose as used here are in every opset from 7 on.
    private const long MinimumOpset = 7;

    /// <summary>Returns the serialised merged model.</summary>
    /// <exception cref="ModelLoadException">The model cannot take the stage; the message says why.</exception>
    public static byte[] Merge(byte[] model, string inputName, InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelLoadException($"The model could not be read to add the uint8 input stage (Model:Upload=uint8): {ex.Message}", ex);
        }

        Merge(proto, inputName, input);
        return proto.ToByteArray();
    }

    public static void Merge(ModelProto model, string inputName, InputSpec input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var graph = model.Graph;
        var opset = model.OpsetImport.FirstOrDefault(o => o.Domain.Length == 0 || o.Domain == "ai.onnx")?.Version ?? 0;
        if (opset < MinimumOpset)
        {
            throw new ModelLoadException($"Model:Upload=uint8 needs a model of ONNX opset {MinimumOpset} or later; this one imports opset {opset}.");
        }

        if (graph.Initializer.Any(t => t.DataLocation == TensorProto.Types.DataLocation.External))
        {
            throw new ModelLoadException("Model:Upload=uint8 cannot merge a model whose weights are in external data files; serve it with Model:Upload=float32.");
        }

        var original = graph.Input.FirstOrDefault(i => i.Name == inputName)
            ?? throw new ModelLoadException($"The model has no input named '{inputName}' to put the uint8 stage in front of.");
        var tensor = original.Type?.TensorType;
        if (tensor is null || tensor.ElemType != (int)TensorProto.Types.DataType.Float || tensor.Shape is not { Dim.Count: 4 } shape)
        {
            throw new ModelLoadException($"Model:Upload=uint8 needs a float32 [batch, 3, height, width] input; '{inputName}' is not one.");
        }

        if (graph.Output.Any(o => o.Name == inputName))
        {
            throw new ModelLoadException($"Input '{inputName}' is also an output of the model, so the uint8 stage cannot replace it.");
        }

        var converted = Prefix + "nchw";
        Rename(graph, inputName, converted);
        if (graph.ValueInfo.FirstOrDefault(v => v.Name == inputName) is { } described)
        {
            graph.ValueInfo.Remove(described);
        }

        var stage = new OnnxGraphBuilder("uint8_input_stage", Prefix);
        var pixels = stage.Node("Cast", [inputName], IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        if (input.PixelScale == PixelScale.Unit)
        {
            // The same float multiply the float slot's letterbox applies, so both paths give identical inputs.
            pixels = stage.Node("Mul", [pixels, stage.Scalar(1f / 255f)]);
        }

        if (input.ChannelOrder == ChannelOrder.Bgr)
        {
            pixels = stage.Node("Gather", [pixels, stage.Int64s(2, 1, 0)], IntAttribute("axis", 3));
        }

        stage.NodeNamed("Transpose", converted, [pixels], IntsAttribute("perm", 0, 3, 1, 2));
        stage.PrependTo(graph);

        var index = graph.Input.IndexOf(original);
        graph.Input[index] = new ValueInfoProto
        {
            Name = inputName,
            DocString = "uint8 RGB pixels [batch, height, width, 3]; the service's input stage converts them for the model.",
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)TensorProto.Types.DataType.Uint8,
                    Shape = new TensorShapeProto { Dim = { shape.Dim[0].Clone(), shape.Dim[2].Clone(), shape.Dim[3].Clone(), new TensorShapeProto.Types.Dimension { DimValue = 3 } } },
                },
            },
        };

        if (model.MetadataProps.FirstOrDefault(p => p.Key == MetadataKey) is { } earlier)
        {
            model.MetadataProps.Remove(earlier);
        }

        model.MetadataProps.Add(new StringStringEntryProto { Key = MetadataKey, Value = MetadataValue });
    }

    /// <summary>Points every reader of <paramref name="from"/> at <paramref name="to"/>, in subgraphs too (they may read outer names).</summary>
    private static void Rename(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                {
                    node.Input[i] = to;
                }
            }

            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is { } subgraph)
                {
                    Rename(subgraph, from, to);
                }

                foreach (var body in attribute.Graphs)
                {
                    Rename(body, from, to);
                }
            }
        }
    }
}
