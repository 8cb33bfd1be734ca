using System.ComponentModel.DataAnnotations;
using Inference.Core.Model;
using Microsoft.Extensions.Options;

namespace Inference.Api.Auth;

/// <summary>
/// Optional API keys (configuration section <c>Auth</c>): <c>Auth:ApiKeys</c> lists the SHA-256 (hex) of each
/// accepted key, never a key itself, from configuration or a secret injected as <c>Auth__ApiKeys</c>. Empty (the
/// default) turns keys off.
/// </summary>
public sealed class ApiKeyOptions : IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>SHA-256 hashes of the accepted keys, 64 hexadecimal characters each; entries may be comma separated.</summary>
    public List<string> ApiKeys { get; set; } = [];

    public IEnumerable<string> Hashes() =>
        ApiKeys.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var index = 0;
        foreach (var hash in Hashes())
        {
            if (!Sha256.IsValidHex(hash))
            {
                // The entry may be a key pasted by mistake: never echo it.
                yield return new ValidationResult($"Auth:ApiKeys entry {index} is not a SHA-256 in hex (64 characters 0-9, a-f); store the hash of a key (printf %s \"$KEY\" | sha256sum), never the key.");
            }

            index++;
        }
    }
}

[OptionsValidator]
public sealed partial class ApiKeyOptionsValidator : IValidateOptions<ApiKeyOptions>;
