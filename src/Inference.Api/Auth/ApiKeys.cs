using System.Security.Cryptography;
using System.Text;
using Inference.Core.Contracts;
using Microsoft.Extensions.Options;

namespace Inference.Api.Auth;

/// <summary>
/// Checks a presented API key against the configured hashes: the key is hashed, then compared with every stored hash
/// in constant time, all of them every time, so neither the time taken nor an early exit tells how close a guess was.
/// </summary>
public sealed class ApiKeys(IOptions<ApiKeyOptions> options)
{
    public const string HeaderName = "X-Api-Key";
    public const string QueryName = "api_key";

    private readonly byte[][] _hashes = [.. options.Value.Hashes().Select(Convert.FromHexString)];

    public bool Enabled => _hashes.Length > 0;

    public bool Accepts(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var accepted = false;
        foreach (var hash in _hashes)
        {
            accepted |= CryptographicOperations.FixedTimeEquals(hash, presented);
        }

        return accepted;
    }

    /// <summary>The key a request carries: <c>Authorization: Bearer</c>, then <c>X-Api-Key</c>, then Roboflow's <c>?api_key=</c>.</summary>
    public static string? Presented(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        if (request.Headers[HeaderName] is { Count: > 0 } header)
        {
            return header.ToString();
        }

        return request.Query[QueryName] is { Count: > 0 } query ? query.ToString() : null;
    }

    /// <summary>The problem for a request without an accepted key; null when it may pass.</summary>
    public Problem? Refusal(string? key) =>
        !Enabled || Accepts(key) ? null
        : string.IsNullOrEmpty(key) ? ProblemCatalog.ApiKeyRequired()
        : ProblemCatalog.ApiKeyInvalid();
}
