using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace Inference.Cli.Errors;

/// <summary>
/// S3 failures as one sentence that names where (the endpoint, bucket and key) and why (the S3 error code, or the
/// network's answer): AccessDenied, SignatureDoesNotMatch, NoSuchBucket, a refused connection.
/// </summary>
internal static class S3Faults
{
    /// <summary>Runs one S3 call and turns its failure into a sentence about exactly that call.</summary>
    public static async Task<T> GuardAsync<T>(IAmazonS3 s3, string operation, string bucket, string? key, Func<Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or SocketException or IOException)
        {
            throw Describe(ex, Endpoint(s3), operation, bucket, key);
        }
    }

    /// <summary>Where requests go: the endpoint override, else AWS in its region.</summary>
    public static string Endpoint(IAmazonS3 s3)
    {
        ArgumentNullException.ThrowIfNull(s3);
        return s3.Config.ServiceURL is { Length: > 0 } url
            ? url.TrimEnd('/')
            : $"AWS S3 ({s3.Config.RegionEndpoint?.SystemName ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? "default region"})";
    }

    public static CliException Describe(Exception exception, string? endpoint, string operation, string? bucket, string? key)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var where = endpoint is null ? "S3" : $"S3 at {endpoint}";
        var target = bucket is null ? string.Empty : key is null ? $" on bucket '{bucket}'" : $" on s3://{bucket}/{key}";
        if (exception is AmazonServiceException { StatusCode: not 0 } service)
        {
            var code = service.ErrorCode ?? ((int)service.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return code switch
            {
                "NoSuchBucket" => new CliException(ExitCode.NotFound, "not-found", $"Bucket '{bucket}' does not exist at {endpoint ?? "S3"} (NoSuchBucket).", null, exception),
                "NoSuchKey" or "NoSuchVersion" => new CliException(ExitCode.NotFound, "not-found", $"{where} has no such object{target} ({code}).", null, exception),
                "AccessDenied" or "AllAccessDisabled" or "AccountProblem" => new CliException(
                    ExitCode.Failed, "s3-access-denied", $"{where} denied {operation}{target} ({code}): the credentials lack permission for it.", null, exception),
                "InvalidAccessKeyId" => new CliException(
                    ExitCode.Failed, "s3-access-denied", $"{where} does not know the access key used for {operation}{target} (InvalidAccessKeyId): check AWS_ACCESS_KEY_ID or the profile.", null, exception),
                "SignatureDoesNotMatch" => new CliException(
                    ExitCode.Failed, "s3-signature-mismatch", $"{where} rejected the signature of {operation}{target} (SignatureDoesNotMatch): the secret access key is wrong.", null, exception),
                _ when service.StatusCode == HttpStatusCode.NotFound => new CliException(ExitCode.NotFound, "not-found", $"{where} found nothing for {operation}{target} ({code}).", null, exception),
                _ => new CliException(ExitCode.Failed, "s3-failed", $"{where} refused {operation}{target}: {code} ({(int)service.StatusCode}) {FirstSentence(service.Message)}", null, exception),
            };
        }

        if (Network(exception) is { } cause)
        {
            return new CliException(ExitCode.Failed, "s3-unreachable", $"{where} could not be reached for {operation}{target}: {cause}.", null, exception);
        }

        if (exception is AmazonClientException client && client.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase))
        {
            return new CliException(
                ExitCode.Failed, "s3-no-credentials", $"No AWS credentials for {operation}{target} at {endpoint ?? "S3"}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where a role provides them.", null, exception);
        }

        return new CliException(ExitCode.Failed, "s3-failed", $"{where} failed {operation}{target}: {FirstSentence(exception.Message)}", null, exception);
    }

    /// <summary>The network's answer somewhere in the chain: a refused connection, an unknown host, a timeout.</summary>
    private static string? Network(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "connection refused";
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData }:
                    return "host not found";
                case SocketException { SocketErrorCode: SocketError.TimedOut }:
                    return "the connection timed out";
                case SocketException socket:
                    return socket.Message;
                case TimeoutException or TaskCanceledException when e.InnerException is null:
                    return "no answer in time";
            }
        }

        return exception is HttpRequestException http ? http.Message : null;
    }

    private static string FirstSentence(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.EndsWith('.') ? line : line + ".";
    }
}
