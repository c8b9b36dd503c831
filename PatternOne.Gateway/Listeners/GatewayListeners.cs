using System.Collections.Concurrent;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace PatternOne.Gateway.Listeners;

/// <summary>The gateway's four listeners; each request is dispatched by the one it arrived on.</summary>
public enum ListenerKind
{
    /// <summary>Not one of the gateway's listeners (an in-memory test server, say): served as public traffic.</summary>
    Unknown,
    Http,
    Https,
    Status,
    Metrics,
}

/// <summary>
/// Which port each listener got. Ports configured as 0 are only known once Kestrel has bound them; Kestrel writes the
/// bound end point back into the <see cref="ListenOptions"/> kept here.
/// </summary>
public sealed class GatewayListeners
{
    private readonly ConcurrentDictionary<ListenerKind, ListenOptions> _listeners = new();

    internal void Add(ListenerKind kind, ListenOptions options) => _listeners[kind] = options;

    /// <summary>The bound port of <paramref name="kind"/>, or null when that listener is not open.</summary>
    public int? PortOf(ListenerKind kind) =>
        _listeners.TryGetValue(kind, out var options) && options.IPEndPoint is { Port: > 0 } endPoint ? endPoint.Port : null;

    /// <summary>The listener a connection arrived on, by its local port.</summary>
    public ListenerKind KindOf(int localPort)
    {
        foreach (var (kind, options) in _listeners)
        {
            if (options.IPEndPoint?.Port == localPort)
            {
                return kind;
            }
        }

        return ListenerKind.Unknown;
    }
}
