using Microsoft.Extensions.Primitives;

namespace Inference.Core.Contracts;

/// <summary>Where a request's parameters come from besides its body (a query string, SageMaker's custom attributes), and their names.</summary>
public sealed record ParameterSource(Func<string, StringValues> Lookup, IEnumerable<string> Names)
{
    public static ParameterSource None { get; } = new(_ => StringValues.Empty, []);

    public static ParameterSource From(IEnumerable<KeyValuePair<string, StringValues>> pairs)
    {
        var values = pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return new ParameterSource(name => values.TryGetValue(name, out var value) ? value : StringValues.Empty, values.Keys);
    }
}
