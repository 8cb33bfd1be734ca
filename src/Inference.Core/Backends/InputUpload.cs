namespace Inference.Core.Backends;

/// <summary>How a model's images travel to it (<c>Model:Upload</c>, per model).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The configuration values are the element types, float32 and uint8.")]
public enum InputUpload
{
    /// <summary>The model's own float32 NCHW input, written by the letterbox in the model's conventions.</summary>
    Float32,

    /// <summary>
    /// Letterboxed RGB bytes, NHWC, with the cast, scale, channel swap and transpose merged into the model in front of
    /// it: a quarter of the bytes cross PCIe to a GPU.
    /// </summary>
    Uint8,
}

/// <summary>What a loader needs to know about one model beyond the shared <see cref="BackendOptions"/>.</summary>
/// <param name="Instances">Backend instances; the provider's default when null.</param>
/// <param name="CacheDirectory">The model cache (<c>Model:CacheDirectory</c>); TensorRT engines are kept under it.</param>
public sealed record ModelBackendSettings(int? Instances = null, InputUpload Upload = InputUpload.Float32, string? CacheDirectory = null)
{
    public static ModelBackendSettings Default { get; } = new();

    public string EngineCacheDirectory(string sha256) =>
        Path.Combine(CacheDirectory ?? Sources.ModelOptions.DefaultCacheDirectory, "tensorrt", $"{sha256}-{Upload.ToString().ToLowerInvariant()}");
}
