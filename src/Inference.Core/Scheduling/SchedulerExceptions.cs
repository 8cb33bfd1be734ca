namespace Inference.Core.Scheduling;

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
        : base($"The inference queue is full ({capacity} images admitted); retry in {Math.Ceiling(retryAfter.TotalSeconds)} s.")
    {
        Capacity = capacity;
        RetryAfter = retryAfter;
    }

    public int Capacity { get; }

    public TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(1);
}

/// <summary>The scheduler takes no new work: the service is shutting down. Work admitted before is still served.</summary>
public sealed class SchedulerStoppedException : Exception
{
    public SchedulerStoppedException()
        : base("The service is shutting down and takes no new work.")
    {
    }

    public SchedulerStoppedException(string message)
        : base(message)
    {
    }

    public SchedulerStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The model can no longer serve: its runner died or its backend failed repeatedly. Readiness says so too.</summary>
public sealed class ModelFailedException : Exception
{
    public ModelFailedException()
        : base("The model has failed and cannot serve.")
    {
    }

    public ModelFailedException(string message)
        : base(message)
    {
    }

    public ModelFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The backend failed to run the batch this request was in; the next batch may well succeed.</summary>
public sealed class BatchFailedException : Exception
{
    public BatchFailedException()
        : base("The model failed to run the batch.")
    {
    }

    public BatchFailedException(string message)
        : base(message)
    {
    }

    public BatchFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
