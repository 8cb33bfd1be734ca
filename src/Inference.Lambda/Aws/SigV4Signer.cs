using System.Globalization;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace Inference.Lambda.Aws;

/// <summary>
/// Signs an HTTP request with SigV4 for one service and region. The canonical request is built here (the service
/// SDKs that would build it are not served); the key derivation and signature come from AWSSDK.Core's
/// <see cref="AWS4Signer"/>. Covers what this project sends: any method, a path without a query string, a body.
/// </summary>
public sealed class SigV4Signer(string region, string service, Func<CancellationToken, Task<ImmutableCredentials>> credentials, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Service => service;

    /// <summary>Adds X-Amz-Date, X-Amz-Security-Token (temporary keys) and Authorization to <paramref name="request"/>.</summary>
    /// <param name="body">The exact bytes of the request's content (empty for none).</param>
    public async Task SignAsync(HttpRequestMessage request, byte[] body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var url = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        if (url.Query.Length > 1)
        {
            throw new NotSupportedException("Query strings are not signed here; none of this project's calls has one.");
        }

        var identity = await credentials(cancellationToken).ConfigureAwait(false);
        var signedAt = _time.GetUtcNow().UtcDateTime;
        var amzDate = signedAt.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = url.IsDefaultPort ? url.Host : url.Authority,
            ["x-amz-date"] = amzDate,
        };
        if (request.Content?.Headers.ContentType is { } contentType)
        {
            headers["content-type"] = contentType.ToString();
        }

        foreach (var header in request.Headers.Where(h => h.Key.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase)))
        {
            headers[header.Key.ToLowerInvariant()] = string.Join(',', header.Value.Select(v => v.Trim()));
        }

        if (identity.UseToken)
        {
            headers["x-amz-security-token"] = identity.Token;
        }

        var signedHeaders = string.Join(';', headers.Keys);
        var canonicalRequest = string.Join('\n',
            request.Method.Method,
            url.AbsolutePath,
            string.Empty,
            string.Concat(headers.Select(h => $"{h.Key}:{h.Value}\n")),
            signedHeaders,
            Convert.ToHexStringLower(SHA256.HashData(body)));
        var signature = AWS4Signer.ComputeSignature(identity, region, signedAt, service, signedHeaders, canonicalRequest);

        request.Headers.Remove("X-Amz-Date");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        if (identity.UseToken)
        {
            request.Headers.Remove("X-Amz-Security-Token");
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", identity.Token);
        }

        request.Headers.Remove("Authorization");
        request.Headers.TryAddWithoutValidation("Authorization", signature.ForAuthorizationHeader);
    }
}
