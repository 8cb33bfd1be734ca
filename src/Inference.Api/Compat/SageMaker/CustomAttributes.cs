using Inference.Core.Contracts;
using Microsoft.Extensions.Primitives;

namespace Inference.Api.Compat.SageMaker;

/// <summary>
/// SageMaker forwards <c>InvokeEndpoint</c>'s <c>CustomAttributes</c> verbatim as <c>X-Amzn-SageMaker-Custom-Attributes</c>;
/// here they carry the detect parameters as <c>name=value</c> pairs separated by <c>;</c>
/// (<c>confidence=0.4;iou=0.5;classes=person,cup</c>).
/// </summary>
public static class CustomAttributes
{
    public const string Header = "X-Amzn-SageMaker-Custom-Attributes";

    /// <exception cref="RequestProblemException">A pair is not <c>name=value</c>, or a name comes twice.</exception>
    public static ParameterSource Parse(string? header)
    {
        var pairs = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        foreach (var pair in (header ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid(pair, $"'{pair}' is not name=value; {Header} carries parameters as name=value pairs separated by ';' (confidence=0.4;iou=0.5).");
            }

            var name = pair[..equals].Trim();
            if (!pairs.TryAdd(name, pair[(equals + 1)..].Trim()))
            {
                throw Invalid(name, $"{name} was given twice in {Header}; give it once.");
            }
        }

        return ParameterSource.From(pairs);
    }

    private static RequestProblemException Invalid(string name, string message) =>
        new(ProblemCatalog.InvalidParameters(new Dictionary<string, string[]> { [name] = [message] }));
}
