using System.Globalization;

namespace PatternOne.Scheduler.Discovery;

/// <summary>Validation of <c>host:port</c> endpoint strings (IPv6 as <c>[::1]:8000</c>).</summary>
public static class EndpointAddress
{
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            return false;
        }

        var host = value.AsSpan(0, colon);
        // A scheme or path means a URL was given; a bare colon in the host means unbracketed IPv6.
        return !host.ContainsAny(" /")
            && (!host.Contains(':') || (host[0] == '[' && host[^1] == ']'))
            && int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is > 0 and <= 65535;
    }

    /// <summary>The <c>ip:port</c> of a pod address and port.</summary>
    public static string Format(string ip, int port) =>
        ip.Contains(':', StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"[{ip}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{ip}:{port}");
}
