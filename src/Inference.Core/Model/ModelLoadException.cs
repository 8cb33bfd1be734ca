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
        Problems = [message];
    }

    public ModelLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    /// <param name="problems">Each problem on its own, one sentence apiece, for callers that list them (the CLI).</param>
    public ModelLoadException(string message, IReadOnlyList<string> problems)
        : base(message)
    {
        Problems = problems;
    }

    /// <summary>The sentences that make up <see cref="Exception.Message"/>, one per problem.</summary>
    public IReadOnlyList<string> Problems { get; } = [];
}
