namespace Inference.Cli.Errors;

/// <summary>
/// The documented exit codes. Workflows branch on them: 3 and 4 say "it is not there" and "it is already
/// there / the change breaks a rule", which a retry or a different input answers differently from a plain failure.
/// </summary>
public enum ExitCode
{
    /// <summary>Everything asked for was done.</summary>
    Ok = 0,

    /// <summary>The operation ran and failed: a model that fails validation, S3 or MongoDB refusing or unreachable.</summary>
    Failed = 1,

    /// <summary>A usage error (a missing or malformed option) or an unmet precondition (an unversioned bucket, a model push refuses).</summary>
    Usage = 2,

    /// <summary>Something named does not exist: a file, a registry entry, an S3 bucket, key or version.</summary>
    NotFound = 3,

    /// <summary>It exists already, or the change breaks a rule (a version taken, archiving a production model).</summary>
    Conflict = 4,
}

/// <summary>
/// A failure the CLI reports as one sentence (or a few, one per problem) with a stable <see cref="Code"/> and an
/// <see cref="ExitCode"/>; never a stack trace. <c>--json</c> writes it as <c>{"code", "message", "exit_code", "problems"}</c>.
/// </summary>
public sealed class CliException : Exception
{
    public CliException(ExitCode exitCode, string code, string message, IReadOnlyList<string>? problems = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
        Code = code;
        Problems = problems ?? [];
    }

    public CliException()
        : this(ExitCode.Failed, "failed", "The command failed.")
    {
    }

    public CliException(string message)
        : this(ExitCode.Failed, "failed", message)
    {
    }

    public CliException(string message, Exception innerException)
        : this(ExitCode.Failed, "failed", message, null, innerException)
    {
    }

    public ExitCode ExitCode { get; }

    /// <summary>Kebab-case and stable: <c>usage</c>, <c>not-found</c>, <c>conflict</c>, <c>model-invalid</c>, <c>s3-access-denied</c>…</summary>
    public string Code { get; }

    /// <summary>The individual sentences when there are several (every problem of a manifest, say).</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>What failed, without its problems: the line above the list when there are several.</summary>
    public string Headline { get; init; } = string.Empty;

    public static CliException Usage(string message) => new(ExitCode.Usage, "usage", message);

    public static CliException NotFound(string message, Exception? innerException = null) => new(ExitCode.NotFound, "not-found", message, null, innerException);

    /// <summary>A model that the service would refuse (or serve wrongly), found before anything was written.</summary>
    public static CliException ModelInvalid(string what, IReadOnlyList<string> problems, ExitCode exitCode = ExitCode.Usage) =>
        new(exitCode, "model-invalid", $"{what}: {string.Join(" ", problems)}", problems) { Headline = what };
}
