using System.Net;
using System.Net.Sockets;
using Inference.Core.Contracts;

namespace Inference.Core.Inputs;

/// <summary>
/// The SSRF rules every URL fetch obeys: http(s) only, no credentials in the URL, hosts from the allow-list, and
/// addresses that are public unless their network is allow-listed. The address rule is applied to what the host
/// resolves to, at connection time, so a name cannot point somewhere else between the check and the connection.
/// </summary>
public sealed class UrlPolicy
{
    // Everything that is not a public unicast address (IANA special-purpose registries), by the name a refusal uses.
    private static readonly (IPNetwork Network, string Kind)[] NotPublic =
    [
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "private (carrier-grade NAT)"),
        (IPNetwork.Parse("fc00::/7"), "private (unique local)"),
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("192.88.99.0/24"), "reserved (6to4 relay)"),

        // Translation and tunnelling prefixes embed IPv4 addresses the rules above could not see.
        (IPNetwork.Parse("64:ff9b::/96"), "translated IPv4 (NAT64)"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "translated IPv4 (NAT64)"),
        (IPNetwork.Parse("2002::/16"), "tunnelled IPv4 (6to4)"),
        (IPNetwork.Parse("2001::/23"), "reserved (IETF protocol assignments)"),
        (IPNetwork.Parse("100::/64"), "reserved (discard-only)"),
    ];

    private readonly HostPattern[] _hosts;
    private readonly IPNetwork[] _networks;

    public UrlPolicy(InputsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _hosts = [.. InputsOptions.Entries(options.AllowedHosts).Select(h => new HostPattern(h))];
        _networks = [.. InputsOptions.Entries(options.AllowedNetworks).Select(n => IPNetwork.Parse(n))];
    }

    /// <summary>Checks the URL itself (scheme, credentials, host); the addresses are checked when connecting.</summary>
    /// <exception cref="RequestProblemException">The URL is refused; the problem says why.</exception>
    public Uri CheckUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.IsFile || uri.IsUnc)
        {
            throw new RequestProblemException(ProblemCatalog.InvalidUrl(Shorten(text), "it is not an absolute URL."));
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new RequestProblemException(ProblemCatalog.InvalidUrl(Shorten(text), $"only http and https are fetched (got '{uri.Scheme}')."));
        }

        if (uri.UserInfo.Length > 0)
        {
            throw new RequestProblemException(ProblemCatalog.InvalidUrl(Shorten(text), "credentials in a URL are not sent."));
        }

        CheckHost(uri);
        return uri;
    }

    /// <exception cref="RequestProblemException">The host is not on the allow-list.</exception>
    public void CheckHost(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var host = uri.IdnHost.Trim('[', ']');
        if (!_hosts.Any(h => h.Matches(host)))
        {
            throw new RequestProblemException(ProblemCatalog.UrlHostNotAllowed(host));
        }
    }

    /// <summary>
    /// Checks every address a host resolved to: one that is not public and not in an allowed network refuses the
    /// host, even when others would pass, so the connection can only go where the check looked.
    /// </summary>
    /// <exception cref="RequestProblemException">An address is refused.</exception>
    public void CheckAddresses(string host, IReadOnlyList<IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        foreach (var address in addresses)
        {
            var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            if (Kind(plain) is { } kind && !_networks.Any(n => n.Contains(plain)))
            {
                throw new RequestProblemException(ProblemCatalog.UrlAddressNotAllowed(host, plain.ToString(), kind));
            }
        }
    }

    /// <summary>What makes an address not public (loopback, private, …), or null for a public unicast address.</summary>
    public static string? Kind(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (plain.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return "not an internet address";
        }

        foreach (var (network, kind) in NotPublic)
        {
            if (network.BaseAddress.AddressFamily == plain.AddressFamily && network.Contains(plain))
            {
                return kind;
            }
        }

        return null;
    }

    internal static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
