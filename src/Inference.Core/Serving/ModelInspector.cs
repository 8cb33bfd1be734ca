using Inference.Core.Backends;
using Inference.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Inference.Core.Serving;

/// <summary>One input or output of an ONNX graph: its element type and shape, with symbolic dimensions by name.</summary>
public sealed record TensorDescription(string Name, string ElementType, IReadOnlyList<string> Shape);

/// <summary>
/// What an ONNX file holds (inputs, outputs, metadata) and what the service's loader makes of it: the detected
/// layout, size, classes and conventions, or the sentence that says why it would not load.
/// </summary>
public sealed record ModelInspection(
    string Path,
    string Sha256,
    long Bytes,
    string? Producer,
    IReadOnlyList<TensorDescription> Inputs,
    IReadOnlyList<TensorDescription> Outputs,
    IReadOnlyDictionary<string, string> Metadata,
    ModelFacts? Detected,
    IReadOnlyList<string> Problems);

/// <summary>Reads an ONNX file for <c>inference model inspect</c> and <c>model init</c>.</summary>
public static class ModelInspector
{
    /// <param name="draft">What is already known (a class list, a size, a format); the loader settles the rest exactly as it would in the service.</param>
    public static async Task<ModelInspection> InspectAsync(string onnxPath, ModelManifest? draft = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onnxPath);
        if (!File.Exists(onnxPath))
        {
            throw new FileNotFoundException($"The model file '{onnxPath}' does not exist.", onnxPath);
        }

        var sha256 = Model.Sha256.OfFile(onnxPath);
        InferenceSession session;
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            session = new InferenceSession(onnxPath, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"'{onnxPath}' could not be loaded as an ONNX model: {ex.Message}", ex);
        }

        using (session)
        {
            var inputs = session.InputMetadata.Select(m => Describe(m.Key, m.Value)).ToArray();
            var outputs = session.OutputMetadata.Select(m => Describe(m.Key, m.Value)).ToArray();
            var metadata = new SortedDictionary<string, string>(session.ModelMetadata.CustomMetadataMap, StringComparer.Ordinal);
            var producer = session.ModelMetadata.ProducerName is { Length: > 0 } name ? name : null;
            var manifest = draft ?? new ModelManifest { Name = System.IO.Path.GetFileNameWithoutExtension(onnxPath), Version = "1" };
            try
            {
                await using var detector = await LocalDetector.LoadAsync(manifest, onnxPath, new BackendOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1 }, cancellationToken: cancellationToken).ConfigureAwait(false);
                return new ModelInspection(onnxPath, sha256, new FileInfo(onnxPath).Length, producer, inputs, outputs, metadata, ModelFacts.Of(detector.Model), []);
            }
            catch (ModelLoadException ex)
            {
                return new ModelInspection(onnxPath, sha256, new FileInfo(onnxPath).Length, producer, inputs, outputs, metadata, null, ex.Problems);
            }
        }
    }

    private static TensorDescription Describe(string name, NodeMetadata metadata)
    {
        var dims = metadata.IsTensor ? metadata.Dimensions : [];
        var symbols = metadata.IsTensor ? metadata.SymbolicDimensions : [];
        var shape = dims.Select((d, i) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : symbols.Length > i && symbols[i].Length > 0 ? symbols[i] : "?").ToArray();
        var type = metadata.IsTensor ? metadata.ElementDataType.ToString().ToLowerInvariant() : metadata.OnnxValueType.ToString();
        return new TensorDescription(name, type, shape);
    }
}
