using System.Net;

namespace Inference.Core.Inputs;

/// <summary>One entry of <c>Inputs:AllowedHosts</c>: a host name, <c>*.domain</c> or <c>*</c>; IP literals match exactly.</summary>
internal readonly record struct HostPattern(string Value)
{
    public static bool IsValid(string entry)
    {
        if (entry == "*")
        {
            return true;
        }

        var name = entry.StartsWith("*.", StringComparison.Ordinal) ? entry[2..] : entry;
        return IPAddress.TryParse(name.Trim('[', ']'), out _) || Uri.CheckHostName(name) == UriHostNameType.Dns;
    }

    public bool Matches(string host)
    {
        if (Value == "*")
        {
            return true;
        }

        if (Value.StartsWith("*.", StringComparison.Ordinal))
        {
            return host.EndsWith(Value[1..], StringComparison.OrdinalIgnoreCase) && host.Length > Value.Length - 1;
        }

        return string.Equals(host, Value.Trim('[', ']'), StringComparison.OrdinalIgnoreCase);
    }
}
