namespace Inference.Core.Sources;

public enum ModelSourceFailure
{
    /// <summary>The bucket, key or version does not exist.</summary>
    NotFound,

    /// <summary>The credentials are refused or lack permission.</summary>
    AccessDenied,

    /// <summary>The bytes do not hash to the pinned SHA-256. Fatal: the service never serves them.</summary>
    ChecksumMismatch,

    /// <summary>Transient faults outlasted the retries, or the start-up deadline passed.</summary>
    Unavailable,
}

/// <summary>Pinned weights could not be fetched; <see cref="Failure"/> says why, the message names bucket, key and version.</summary>
public sealed class ModelSourceException : Exception
{
    public ModelSourceException(ModelSourceFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public ModelSourceException()
        : this(ModelSourceFailure.Unavailable, "The model source is unavailable.")
    {
    }

    public ModelSourceException(string message)
        : this(ModelSourceFailure.Unavailable, message)
    {
    }

    public ModelSourceException(string message, Exception innerException)
        : this(ModelSourceFailure.Unavailable, message, innerException)
    {
    }

    public ModelSourceFailure Failure { get; }
}
