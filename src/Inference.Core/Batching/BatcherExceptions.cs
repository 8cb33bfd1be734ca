namespace Inference.Core.Batching;

/// <summary>The queue holds <see cref="Capacity"/> images already; the request should be retried later (429).</summary>
public sealed class QueueFullException : Exception
{
    public QueueFullException()
        : this(0, TimeSpan.FromSeconds(1))
    {
    }

    public QueueFullException(string message)
        : base(message)
    {
    }

    public QueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public QueueFullException(int capacity, TimeSpan retryAfter)
        : base($"The inference queue is full ({capacity} images waiting); retry in {Math.Ceiling(retryAfter.TotalSeconds)} s.")
    {
        Capacity = capacity;
        RetryAfter = retryAfter;
    }

    public int Capacity { get; }

    public TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(1);
}

/// <summary>The batcher no longer takes work: the service is shutting down.</summary>
public sealed class BatcherStoppedException : Exception
{
    public BatcherStoppedException()
        : base("The service is shutting down and takes no new work.")
    {
    }

    public BatcherStoppedException(string message)
        : base(message)
    {
    }

    public BatcherStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
