using System.Diagnostics;
using Inference.Core.Imaging;
using Microsoft.ML.OnnxRuntime;

namespace Inference.HttpBenchmark;

/// <summary>
/// The baseline: a bare ONNX Runtime session with default options (plus the CUDA provider when asked, or on a CUDA
/// run), its input already a tensor in ordinary managed memory, run the way most callers run ORT.
/// </summary>
internal static class RawOrtThroughput
{
    public static RunResult Measure(BenchmarkSubject subject, int batch, TimeSpan duration, bool? cuda = null)
    {
        using var options = new SessionOptions();
        if (cuda ?? BenchmarkSubject.Provider == Inference.Core.Backends.ExecutionProviderPreference.Cuda)
        {
            options.AppendExecutionProvider_CUDA(0);
        }

        using var session = new InferenceSession(subject.WeightsPath, options);
        var input = subject.Input;
        var slot = LetterboxTensorizer.SlotLength(input);
        var tensor = new float[batch * slot];
        using (var image = new ImageDecoder().Decode(subject.Jpegs[0], ImageTarget.For(input), default))
        {
            for (var i = 0; i < batch; i++)
            {
                LetterboxTensorizer.Write(image, input, tensor.AsSpan(i * slot, slot));
            }
        }

        using var value = OrtValue.CreateTensorValueFromMemory(tensor, [batch, 3, input.Height, input.Width]);
        using var runOptions = new RunOptions();
        string[] inputs = [session.InputNames[0]];
        string[] outputs = [session.OutputNames[0]];
        using (session.Run(runOptions, inputs, [value], outputs))
        {
        }

        var images = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            using var results = session.Run(runOptions, inputs, [value], outputs);
            images += batch;
        }

        return new RunResult(images / clock.Elapsed.TotalSeconds, images / batch, 0, 0, 0, 0);
    }
}
