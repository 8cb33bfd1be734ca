namespace Inference.Core.Model;

/// <summary>The model cannot be served: a bad manifest, a mismatch with the ONNX file, a wrong checksum, a missing provider.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException()
    {
    }

    public ModelLoadException(string message)
        : base(message)
    {
    }

    public ModelLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
