namespace Inference.Lambda.Runtime;

/// <summary>A function's handler: one event in, one JSON document out. Throwing reports an invocation error.</summary>
public interface IInvocationHandler
{
    /// <param name="cancellationToken">Cancelled shortly before the invocation's deadline.</param>
    Task<byte[]> HandleAsync(Invocation invocation, CancellationToken cancellationToken);
}
