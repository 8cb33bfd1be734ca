using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace Inference.Core.Sources;

/// <summary>Which S3 failures deserve another attempt: server errors, throttling, timeouts and broken connections.</summary>
internal static class TransientFaults
{
    public static bool IsTransient(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AmazonServiceException service when service.StatusCode != 0:
                    return (int)service.StatusCode >= 500 || service.StatusCode == HttpStatusCode.TooManyRequests ||
                           service.ErrorCode is "SlowDown" or "RequestTimeout" or "InternalError";
                case HttpRequestException or SocketException or IOException or TimeoutException:
                    return true;
            }
        }

        // An SDK timeout surfaces as a cancellation that nobody asked for; the caller's own token is checked first.
        return exception is OperationCanceledException;
    }

    /// <summary>403 and 404 (and S3's 400 for a malformed version id) are answers, not faults: never retried.</summary>
    public static ModelSourceException? AsPermanent(Exception exception, S3ObjectRef target)
    {
        if (exception is not AmazonServiceException { StatusCode: not 0 } service)
        {
            return null;
        }

        return service.StatusCode switch
        {
            HttpStatusCode.Forbidden => new ModelSourceException(
                ModelSourceFailure.AccessDenied,
                $"Access denied to {target} ({service.ErrorCode}): check the credentials and s3:GetObject and s3:GetObjectVersion on the bucket.",
                exception),
            HttpStatusCode.NotFound => new ModelSourceException(
                ModelSourceFailure.NotFound,
                $"Not found: {target} ({service.ErrorCode ?? "404"}): check the bucket, the key and the version id.",
                exception),
            HttpStatusCode.BadRequest when service.ErrorCode is "InvalidArgument" => new ModelSourceException(
                ModelSourceFailure.NotFound,
                $"Not found: {target} has no such version ({service.Message}).",
                exception),
            _ => null,
        };
    }
}
