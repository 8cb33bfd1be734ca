using Google.Protobuf;
using Inference.Core.Model;
using Inference.Core.Onnx;
using Inference.Core.Serving;
using Inference.DemoModel;
using Inference.Testing;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Inference.Core.Tests.Onnx;

/// <summary>
/// The uint8 input stage merged in front of a model: fed the same pixels, the merged model computes exactly what
/// the original computes from the float slot, for RGB 0–1 (the demo model) and BGR 0–255 (YOLOX) conventions.
/// </summary>
public sealed class Uint8InputStageTests
{
    private static readonly ModelManifest Demo = ModelManifest.Load(RepositoryPaths.DemoManifest);

    [Fact]
    public void The_merged_demo_model_equals_the_original_on_the_same_pixels()
    {
        var input = InputConventions.Resolve(Demo.Input, OutputFormat.Yolov8).Input;
        var weights = File.ReadAllBytes(Demo.ResolvePath(Demo.Weights!));

        AssertSameOutputs(weights, input, 640, batch: 2);
    }

    [SkippableFact]
    public void The_merged_yolox_model_equals_the_original_on_the_same_pixels()
    {
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        var input = InputConventions.Resolve(YoloxFixture.Manifest().Input, OutputFormat.Yolox).Input;
        var weights = File.ReadAllBytes(Path.Combine(YoloxFixture.ModelDirectory, YoloxFixture.DynamicModel));

        AssertSameOutputs(weights, input, 416, batch: 3);
    }

    [Fact]
    public void The_merged_input_is_uint8_nhwc_under_the_same_name_and_batch_and_marked_as_ours()
    {
        var input = InputConventions.Resolve(Demo.Input, OutputFormat.Yolov8).Input;
        var merged = Uint8InputStage.Merge(File.ReadAllBytes(Demo.ResolvePath(Demo.Weights!)), "images", input);

        using var session = new InferenceSession(merged);

        var images = session.InputMetadata["images"];
        Assert.Equal(TensorElementType.UInt8, images.ElementDataType);
        Assert.Equal([-1, 640, 640, 3], images.Dimensions);
        Assert.Equal("batch", images.SymbolicDimensions[0]);
        Assert.Equal(Uint8InputStage.MetadataValue, session.ModelMetadata.CustomMetadataMap[Uint8InputStage.MetadataKey]);
        Assert.Equal(["output0"], session.OutputNames);
    }

    [Fact]
    public void A_model_too_old_for_the_stage_is_refused_with_its_opset()
    {
        var model = ShapesDetectorGraph.Build();
        model.OpsetImport[0].Version = 6;

        var failure = Assert.Throws<ModelLoadException>(() => Uint8InputStage.Merge(model.ToByteArray(), "images", InputConventions.For(OutputFormat.Yolov8, 640, 640)));

        Assert.Equal("Model:Upload=uint8 needs a model of ONNX opset 7 or later; this one imports opset 6.", failure.Message);
    }

    [Fact]
    public void An_input_that_is_not_float_nchw_is_refused()
    {
        var g = new OnnxGraphBuilder("bytes_in");
        var images = g.Input("images", TensorProto.Types.DataType.Uint8, "batch", 640, 640, 3);
        g.NodeNamed("Cast", "output0", [images], OnnxGraphBuilder.IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        g.Output("output0", "batch", 640, 640, 3);
        var model = g.Build(13, "tests", string.Empty, new Dictionary<string, string>()).ToByteArray();

        var failure = Assert.Throws<ModelLoadException>(() => Uint8InputStage.Merge(model, "images", InputConventions.For(OutputFormat.Yolov8, 640, 640)));

        Assert.Equal("Model:Upload=uint8 needs a float32 [batch, 3, height, width] input; 'images' is not one.", failure.Message);
    }

    [Fact]
    public async Task A_uint8_model_without_the_services_stage_is_refused_at_load()
    {
        var g = new OnnxGraphBuilder("bytes_in");
        var images = g.Input("images", TensorProto.Types.DataType.Uint8, "batch", 640, 640, 3);
        g.NodeNamed("Cast", "output0", [images], OnnxGraphBuilder.IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        g.Output("output0", "batch", 640, 640, 3);
        var path = Path.Combine(Directory.CreateTempSubdirectory("uint8-").FullName, "bytes.onnx");
        File.WriteAllBytes(path, g.Build(13, "tests", string.Empty, new Dictionary<string, string>()).ToByteArray());

        var failure = await Assert.ThrowsAsync<ModelLoadException>(() => LocalDetector.LoadAsync(Demo with { Sha256 = null }, path));

        Assert.StartsWith("Input 'images' is UInt8 [?, 640, 640, 3]; a float32 [batch, 3, height, width] image input is needed", failure.Message, StringComparison.Ordinal);
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    private static void AssertSameOutputs(byte[] weights, InputSpec input, int size, int batch)
    {
        var merged = Uint8InputStage.Merge(weights, "images", input);
        using var original = new InferenceSession(weights);
        using var staged = new InferenceSession(merged);
        var random = new Random(1234);
        var pixels = new byte[batch * size * size * 3];
        random.NextBytes(pixels);

        // The float slot the service would write from these pixels: planes in the model's order, scaled alike.
        var scale = input.PixelScale == PixelScale.Unit ? 1f / 255f : 1f;
        var floats = new float[pixels.Length];
        var plane = size * size;
        for (var n = 0; n < batch; n++)
        {
            for (var p = 0; p < plane; p++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var source = input.ChannelOrder == ChannelOrder.Bgr ? 2 - c : c;
                    floats[(n * 3 * plane) + (c * plane) + p] = pixels[(((n * plane) + p) * 3) + source] * scale;
                }
            }
        }

        using var floatInput = OrtValue.CreateTensorValueFromMemory(floats, [batch, 3, size, size]);
        using var byteInput = OrtValue.CreateTensorValueFromMemory(pixels, [batch, size, size, 3]);
        using var runOptions = new RunOptions();
        using var expected = original.Run(runOptions, ["images"], [floatInput], [original.OutputNames[0]]);
        using var actual = staged.Run(runOptions, ["images"], [byteInput], [staged.OutputNames[0]]);

        Assert.Equal(expected[0].GetTensorTypeAndShape().Shape, actual[0].GetTensorTypeAndShape().Shape);
        Assert.True(
            expected[0].GetTensorDataAsSpan<float>().SequenceEqual(actual[0].GetTensorDataAsSpan<float>()),
            "The merged model's output differs from the original's.");
    }
}
