using System.ComponentModel.DataAnnotations;
using System.Net;
using Inference.Core.Hosting;

namespace Inference.Core.Inputs;

/// <summary>
/// Where images may come from besides the request body (configuration section <c>Inputs</c>): fetching by URL is
/// off by default, and when on it reaches only the listed hosts, and private networks only when listed too.
/// </summary>
public sealed class InputsOptions : IValidatableObject
{
    public const string Section = "Inputs";

    /// <summary>Whether <c>{"type": "url"}</c> images and Roboflow's <c>?image=</c> are fetched at all.</summary>
    public bool AllowUrlFetch { get; set; }

    /// <summary>
    /// Hosts images may be fetched from: exact names (<c>images.example.com</c>), a subdomain wildcard
    /// (<c>*.example.com</c>, which does not match <c>example.com</c> itself) or <c>*</c> for any public host.
    /// Entries may also be given comma separated in one value.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Networks (CIDR, e.g. <c>10.20.0.0/16</c> or <c>127.0.0.1/32</c>) a host may resolve into even though they are
    /// loopback, private, link-local or otherwise not public. Empty by default: such addresses are refused.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>The largest image a URL may deliver.</summary>
    [SettingRange("Inputs:MaxUrlBytes", 1024, 1073741824)]
    public long MaxUrlBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>The whole fetch (resolution, connection, redirects and body) must finish within this.</summary>
    [SettingRange("Inputs:UrlTimeoutMs", 100, 600_000)]
    public int UrlTimeoutMs { get; set; } = 10_000;

    /// <summary>Redirects followed, each to the same host only.</summary>
    [SettingRange("Inputs:MaxRedirects", 0, 10)]
    public int MaxRedirects { get; set; } = 3;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var hosts = Entries(AllowedHosts).ToList();
        if (AllowUrlFetch && hosts.Count == 0)
        {
            yield return new ValidationResult("Inputs:AllowedHosts must list the hosts images may be fetched from when Inputs:AllowUrlFetch is true (\"*\" allows any public host).");
        }

        foreach (var host in hosts)
        {
            if (!HostPattern.IsValid(host))
            {
                yield return new ValidationResult($"Inputs:AllowedHosts has '{host}', which is not a host name, '*.' followed by a domain, or '*'.");
            }
        }

        foreach (var network in Entries(AllowedNetworks))
        {
            if (!IPNetwork.TryParse(network, out _))
            {
                yield return new ValidationResult($"Inputs:AllowedNetworks has '{network}', which is not a network in CIDR notation (e.g. 10.0.0.0/8 or ::1/128).");
            }
        }
    }

    internal static IEnumerable<string> Entries(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
