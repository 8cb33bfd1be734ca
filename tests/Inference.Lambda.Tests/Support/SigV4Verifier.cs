using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Inference.Lambda.Tests.Support;

/// <summary>
/// Recomputes a SigV4 signature from the request as received, with nothing from the AWS SDK, following AWS's
/// published algorithm (canonical request → string to sign → HMAC chain over date, region, service). Only the
/// subset this project sends: no query string, no chunked payload.
/// </summary>
public static partial class SigV4Verifier
{
    /// <param name="required">Headers the signature must cover (host and x-amz-date always).</param>
    public static string? Problem(HttpRequest request, byte[] body, string secretKey, string region, string service, TimeProvider time, params string[] required)
    {
        var match = Authorization().Match(request.Headers.Authorization.ToString());
        if (!match.Success)
        {
            return "no AWS4-HMAC-SHA256 Authorization header";
        }

        var (date, credentialRegion, credentialService) = (match.Groups["date"].Value, match.Groups["region"].Value, match.Groups["service"].Value);
        if (credentialRegion != region || credentialService != service)
        {
            return $"credential scope {credentialRegion}/{credentialService}, expected {region}/{service}";
        }

        var signedHeaders = match.Groups["headers"].Value.Split(';');
        foreach (var header in required.Append("host").Append("x-amz-date"))
        {
            if (!signedHeaders.Contains(header))
            {
                return $"{header} is not signed";
            }
        }

        var amzDate = request.Headers["X-Amz-Date"].ToString();
        if (!DateTime.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var signedAt)
            || !amzDate.StartsWith(date, StringComparison.Ordinal)
            || (time.GetUtcNow().UtcDateTime - signedAt).Duration() > TimeSpan.FromMinutes(5))
        {
            return $"X-Amz-Date '{amzDate}' is not a current time of day {date}";
        }

        var canonicalHeaders = string.Concat(signedHeaders.Select(h => $"{h}:{Value(request, h)}\n"));
        var canonicalRequest = $"{request.Method}\n{request.Path.Value}\n\n{canonicalHeaders}\n{string.Join(';', signedHeaders)}\n{Hex(SHA256.HashData(body))}";
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var key = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date), region), service), "aws4_request");
        var expected = Hex(Hmac(key, stringToSign));
        return expected == match.Groups["signature"].Value ? null : $"signature {match.Groups["signature"].Value} differs from the recomputed {expected}";
    }

    private static string Value(HttpRequest request, string header) => header == "host"
        ? request.Host.Value!
        : string.Join(',', request.Headers[header].Select(v => v!.Trim()));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)/(?<date>\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request, SignedHeaders=(?<headers>[a-z0-9;-]+), Signature=(?<signature>[0-9a-f]{64})$")]
    private static partial Regex Authorization();
}
