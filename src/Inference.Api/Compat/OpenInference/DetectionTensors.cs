using System.Buffers.Binary;
using Inference.Core.Serving;

namespace Inference.Api.Compat.OpenInference;

/// <summary>
/// The model as the protocol sees it: one BYTES input of encoded images, and detections as four output tensors, padded
/// to the most detections any image of the request has (K):
/// <c>boxes</c> FP32 [N, K, 4] (x1, y1, x2, y2 in original pixels), <c>scores</c> FP32 [N, K], <c>classes</c> INT32
/// [N, K] (class ids, -1 in padding) and <c>count</c> INT32 [N] (the real detections of each image).
/// </summary>
public static class DetectionTensors
{
    public const string Input = "images";
    public const string Boxes = "boxes";
    public const string Scores = "scores";
    public const string Classes = "classes";
    public const string Count = "count";

    public static readonly IReadOnlyList<string> Outputs = [Boxes, Scores, Classes, Count];

    public static IReadOnlyList<MetadataTensor> InputMetadata { get; } = [new(Input, "BYTES", [-1])];

    public static IReadOnlyList<MetadataTensor> OutputMetadata { get; } =
    [
        new(Boxes, "FP32", [-1, -1, 4]),
        new(Scores, "FP32", [-1, -1]),
        new(Classes, "INT32", [-1, -1]),
        new(Count, "INT32", [-1]),
    ];

    /// <summary>One output's datatype, shape and values (float[] or int[]) for the request's results.</summary>
    public static (string Datatype, long[] Shape, Array Values) Build(string name, IReadOnlyList<DetectionResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var n = results.Count;
        var k = results.Count == 0 ? 0 : results.Max(r => r.Detections.Count);
        switch (name)
        {
            case Boxes:
                var boxes = new float[n * k * 4];
                Fill(results, k, (slot, d) =>
                {
                    boxes[(slot * 4) + 0] = d.Box.X1;
                    boxes[(slot * 4) + 1] = d.Box.Y1;
                    boxes[(slot * 4) + 2] = d.Box.X2;
                    boxes[(slot * 4) + 3] = d.Box.Y2;
                });
                return ("FP32", [n, k, 4], boxes);
            case Scores:
                var scores = new float[n * k];
                Fill(results, k, (slot, d) => scores[slot] = d.Confidence);
                return ("FP32", [n, k], scores);
            case Classes:
                var classes = new int[n * k];
                Array.Fill(classes, -1);
                Fill(results, k, (slot, d) => classes[slot] = d.ClassId);
                return ("INT32", [n, k], classes);
            case Count:
                return ("INT32", [n], results.Select(r => r.Detections.Count).ToArray());
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "Not an output of this model.");
        }
    }

    /// <summary>The binary tensor extension's layout: little-endian, row-major, no padding.</summary>
    public static byte[] ToBytes(Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var bytes = new byte[values.Length * 4];
        switch (values)
        {
            case float[] floats:
                for (var i = 0; i < floats.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), floats[i]);
                }

                break;
            case int[] ints:
                for (var i = 0; i < ints.Length; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), ints[i]);
                }

                break;
            default:
                throw new ArgumentException($"No binary layout for {values.GetType().Name}.", nameof(values));
        }

        return bytes;
    }

    private static void Fill(IReadOnlyList<DetectionResult> results, int k, Action<int, Core.Postprocessing.Detection> write)
    {
        for (var image = 0; image < results.Count; image++)
        {
            var detections = results[image].Detections;
            for (var j = 0; j < detections.Count; j++)
            {
                write((image * k) + j, detections[j]);
            }
        }
    }
}
