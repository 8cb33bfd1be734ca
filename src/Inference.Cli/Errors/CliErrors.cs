using System.Text.Json;
using Amazon.Runtime;
using Inference.Cli.Models;
using Inference.Core.Model;
using Inference.Core.Sources;
using Inference.Registry.Storage;

namespace Inference.Cli.Errors;

/// <summary>The one place an exception becomes what a person or a workflow sees: a sentence, a code and an exit code.</summary>
internal static class CliErrors
{
    public static CliException From(Exception exception) => exception switch
    {
        CliException failure => failure,
        RegistryException registry => FromRegistry(registry),
        BucketNotVersionedException bucket => new CliException(ExitCode.Usage, "bucket-not-versioned", bucket.Message, null, bucket),
        ModelLoadException load => CliException.ModelInvalid("The model cannot be served", load.Problems.Count > 0 ? load.Problems : [load.Message]),
        ModelSourceException source => FromSource(source),
        FileNotFoundException or DirectoryNotFoundException => CliException.NotFound(exception.Message, exception),
        AmazonServiceException or AmazonClientException => S3Faults.Describe(exception, endpoint: null, "a request", bucket: null, key: null),
        InvalidDataException or FormatException or JsonException => new CliException(ExitCode.Usage, "invalid-input", exception.Message, null, exception),
        IOException or UnauthorizedAccessException => new CliException(ExitCode.Failed, "io-error", exception.Message, null, exception),
        OperationCanceledException => new CliException(ExitCode.Failed, "cancelled", "The command was cancelled.", null, exception),

        // Still one sentence, never a stack trace; INFERENCE_CLI_DEBUG=1 prints the trace for a bug report.
        _ => new CliException(ExitCode.Failed, "internal-error", $"Unexpected {exception.GetType().Name}: {exception.Message}", null, exception),
    };

    private static CliException FromRegistry(RegistryException exception) => exception.Failure switch
    {
        RegistryFailure.NotFound => new CliException(ExitCode.NotFound, "not-found", exception.Message, null, exception),
        RegistryFailure.Duplicate => new CliException(ExitCode.Conflict, "duplicate", exception.Message, null, exception),
        RegistryFailure.Conflict => new CliException(ExitCode.Conflict, "conflict", exception.Message, null, exception),
        RegistryFailure.InvalidArtifact => new CliException(ExitCode.Usage, "invalid-artifact", exception.Message, null, exception),
        _ => new CliException(ExitCode.Failed, "registry-unavailable", exception.Message, null, exception),
    };

    private static CliException FromSource(ModelSourceException exception) => exception.Failure switch
    {
        ModelSourceFailure.NotFound => new CliException(ExitCode.NotFound, "not-found", exception.Message, null, exception),
        ModelSourceFailure.AccessDenied => new CliException(ExitCode.Failed, "s3-access-denied", exception.Message, null, exception),
        ModelSourceFailure.ChecksumMismatch => new CliException(ExitCode.Failed, "checksum-mismatch", exception.Message, null, exception),
        _ => new CliException(ExitCode.Failed, "s3-unavailable", exception.Message, null, exception),
    };
}
