using BenchmarkDotNet.Attributes;
using Inference.Core.Backends;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Postprocessing;
using Inference.Core.Serving;
using Inference.Testing;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Benchmarks;

/// <summary>
/// Every stage of one request, beside raw ONNX Runtime on the same model in the same run (the baseline, so
/// BenchmarkDotNet's Ratio column is "this stage / model time"). Single-threaded throughout: one request's
/// stages run on one thread, and ORT gets one intra-op thread to match.
/// </summary>
[MemoryDiagnoser]
public class StageBenchmarks
{
    private readonly ImageDecoder _decoder = new();
    private byte[] _jpeg640 = [];
    private byte[] _jpeg4032 = [];
    private DecodedImage _image640 = null!;
    private LocalDetector _yolox = null!;
    private InputSpec _demoInput = null!;
    private OnnxInstance _instance = null!;
    private float[] _yoloxSlot = [];
    private float[] _demoSlot = [];
    private float[] _yoloxOutput = [];
    private float[] _yolov8Output = [];
    private DetectionPostprocessor _yolov8Postprocessor = null!;
    private LetterboxTransform _transform640;
    private readonly RunOptions _runOptions = new();
    private InferenceSession _rawSession = null!;
    private OrtValue _rawInput = null!;
    private BatchTensor _batch = null!;
    private DetectionOptions _yoloxOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkInputs.RequireFixtures();
        _jpeg640 = BenchmarkInputs.Jpeg(640, 480);
        _jpeg4032 = BenchmarkInputs.Jpeg(4032, 3024);
        _image640 = _decoder.Decode(_jpeg640, ImageTarget.Full, default);

        var single = new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1, Instances = 1 };
        _yolox = YoloxFixture.LoadAsync(YoloxFixture.DynamicModel, single, new Core.Scheduling.BatchingOptions { MaxBatchSize = 1 }).GetAwaiter().GetResult();
        var demoManifest = ModelManifest.Load(RepositoryPaths.DemoManifest);
        _demoInput = InputConventions.Resolve(demoManifest.Input, demoManifest.Format ?? OutputFormat.Yolov8).Input;
        _yoloxOptions = _yolox.Model.DefaultOptions;

        var input = _yolox.Model.Input;
        _yoloxSlot = new float[LetterboxTensorizer.SlotLength(input)];
        _demoSlot = new float[LetterboxTensorizer.SlotLength(_demoInput)];
        _transform640 = LetterboxTensorizer.Write(_image640, input, _yoloxSlot);

        // One backend instance on its own, as the scheduler's runner calls it.
        var (session, _) = OnnxSessionFactory.Create(BenchmarkInputs.YoloxModel, single, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var signature = ModelSignature.Read(session, _yolox.Model.Manifest, OnnxModelMetadata.Read(session.ModelMetadata.CustomMetadataMap), out _);
        _instance = new OnnxInstance(session, signature, new BatchOutputPool(HostMemory.Cpu(), signature, 1, 2));
        _batch = new BatchTensorPool(HostMemory.Cpu(), signature, 1, 2).Rent();

        // Post-processing input for YOLOX: the model's real output on a real photo with objects in it.
        using (var photo = _decoder.Decode(File.ReadAllBytes(YoloxFixture.Photo("coffee.png")), ImageTarget.Full, default))
        {
            LetterboxTensorizer.Write(photo, input, _batch.Slot(0));
        }

        using (var output = _instance.Run(_batch, 1))
        {
            _yoloxOutput = output.ForImage(0).ToArray();
        }

        _yolov8Output = SyntheticYolov8Output(classes: 80, anchors: 8400, objects: 20);
        _yolov8Postprocessor = new DetectionPostprocessor(new Yolov8Decoder(80, 8400), _yolox.Model.ClassNames);

        // The baseline: a bare ORT session with the same settings, its input already a tensor.
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _rawSession = new InferenceSession(BenchmarkInputs.YoloxModel, sessionOptions);
        _rawInput = OrtValue.CreateTensorValueFromMemory(_yoloxSlot.ToArray(), [1, 3, 416, 416]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawInput.Dispose();
        _rawSession.Dispose();
        _runOptions.Dispose();
        _batch.Dispose();
        _instance.Dispose();
        _yolox.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _image640.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw ORT run, YOLOX-Nano 416 (baseline)")]
    public int RawOrtYoloxNano()
    {
        using var results = _rawSession.Run(_runOptions, ["images"], [_rawInput], ["output"]);
        return results.Count;
    }

    [Benchmark(Description = "decode 640x480 JPEG for a 416 input")]
    public int Decode640x480Jpeg()
    {
        using var image = _decoder.Decode(_jpeg640, ImageTarget.For(_yolox.Model.Input), default);
        return image.Width;
    }

    [Benchmark(Description = "decode 4032x3024 JPEG for a 416 input")]
    public int Decode4032x3024Jpeg()
    {
        using var image = _decoder.Decode(_jpeg4032, ImageTarget.For(_yolox.Model.Input), default);
        return image.Width;
    }

    [Benchmark(Description = "letterbox+tensorize 640x480 -> 416 (YOLOX)")]
    public int LetterboxToYolox() => LetterboxTensorizer.Write(_image640, _yolox.Model.Input, _yoloxSlot).ContentWidth;

    [Benchmark(Description = "letterbox+tensorize 640x480 -> 640 (demo)")]
    public int LetterboxToDemo() => LetterboxTensorizer.Write(_image640, _demoInput, _demoSlot).ContentWidth;

    [Benchmark(Description = "yolox decode+NMS, 3549 anchors")]
    public int YoloxDecodeNms() => _yolox.Model.Postprocessor.Process(_yoloxOutput, _transform640, _yoloxOptions).Count;

    [Benchmark(Description = "yolov8 decode+NMS, 8400 anchors x 80 classes")]
    public int Yolov8DecodeNms() => _yolov8Postprocessor.Process(_yolov8Output, _transform640, DetectionOptions.Default).Count;

    [Benchmark(Description = "OnnxInstance.Run, YOLOX-Nano")]
    public int InstanceRun()
    {
        using var output = _instance.Run(_batch, 1);
        return output.ImageBytes;
    }

    [Benchmark(Description = "detection service, 640x480 JPEG on YOLOX-Nano")]
    public int ServiceEndToEnd() => _yolox.DetectAsync(_jpeg640, _yoloxOptions).GetAwaiter().GetResult().Detections.Count;

    /// <summary>Mostly background scores with clusters of strong anchors around a few objects, as a real frame gives.</summary>
    private static float[] SyntheticYolov8Output(int classes, int anchors, int objects)
    {
        var random = new Random(5);
        var output = new float[(4 + classes) * anchors];
        for (var a = 0; a < anchors; a++)
        {
            output[a] = random.NextSingle() * 640;
            output[anchors + a] = random.NextSingle() * 640;
            output[(2 * anchors) + a] = 10 + (random.NextSingle() * 200);
            output[(3 * anchors) + a] = 10 + (random.NextSingle() * 200);
            for (var c = 0; c < classes; c++)
            {
                output[((4 + c) * anchors) + a] = random.NextSingle() * 0.05f;
            }
        }

        for (var o = 0; o < objects; o++)
        {
            var centre = random.Next(anchors - 40);
            var cls = random.Next(classes);
            for (var a = centre; a < centre + 40; a++)
            {
                output[((4 + cls) * anchors) + a] = 0.3f + (random.NextSingle() * 0.6f);
                output[a] = output[centre];
                output[anchors + a] = output[anchors + centre];
            }
        }

        return output;
    }
}
