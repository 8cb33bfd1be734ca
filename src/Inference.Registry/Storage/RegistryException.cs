namespace Inference.Registry.Storage;

public enum RegistryFailure
{
    /// <summary>The dataset, model or deployment named does not exist.</summary>
    NotFound,

    /// <summary>A (name, version) that already exists.</summary>
    Duplicate,

    /// <summary>The change breaks a rule: archiving a production model, finishing a finished deployment.</summary>
    Conflict,

    /// <summary>The artifact pin does not match what S3 holds.</summary>
    InvalidArtifact,

    /// <summary>MongoDB did not answer in time.</summary>
    Unavailable,
}

/// <summary>A registry operation failed; the message is one sentence a person can act on.</summary>
public sealed class RegistryException : Exception
{
    public RegistryException(RegistryFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public RegistryException()
        : this(RegistryFailure.Unavailable, "The registry is unavailable.")
    {
    }

    public RegistryException(string message)
        : this(RegistryFailure.Conflict, message)
    {
    }

    public RegistryException(string message, Exception innerException)
        : this(RegistryFailure.Conflict, message, innerException)
    {
    }

    public RegistryFailure Failure { get; }
}
