using Microsoft.Extensions.Primitives;

namespace Inference.Core.Contracts;

/// <summary>The images of one request and where its parameters come from, whichever front end read them.</summary>
public sealed class DetectRequest(
    IReadOnlyList<ReadOnlyMemory<byte>> images,
    bool answerAsList,
    Func<string, StringValues> parameter,
    IEnumerable<IDisposable>? owned = null,
    IEnumerable<string>? parameterNames = null) : IDisposable
{
    private readonly IDisposable[] _owned = [.. owned ?? []];

    public IReadOnlyList<ReadOnlyMemory<byte>> Images { get; } = images;

    /// <summary>Several images, or a list in the body, are answered as a list; one image as an object.</summary>
    public bool AnswerAsList { get; } = answerAsList;

    public Func<string, StringValues> Parameter { get; } = parameter;

    /// <summary>Every parameter name the request carries (query, form fields, JSON members), so unknown ones can be named.</summary>
    public IReadOnlyCollection<string> ParameterNames { get; } = [.. (parameterNames ?? []).Distinct(StringComparer.Ordinal)];

    /// <summary>Gives the pooled body buffers back.</summary>
    public void Dispose()
    {
        foreach (var buffer in _owned)
        {
            buffer.Dispose();
        }
    }
}

/// <summary>A request that cannot be served as sent; the problem says why (4xx).</summary>
public sealed class RequestProblemException : Exception
{
    public RequestProblemException()
        : this(ProblemCatalog.MalformedBody("The request could not be read."))
    {
    }

    public RequestProblemException(string message)
        : this(ProblemCatalog.MalformedBody(message))
    {
    }

    public RequestProblemException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problem = ProblemCatalog.MalformedBody(message);
    }

    public RequestProblemException(Problem problem)
        : base(problem?.Detail)
    {
        Problem = problem ?? throw new ArgumentNullException(nameof(problem));
    }

    public Problem Problem { get; }
}
