using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using PatternOne.Gateway.Tls;

namespace PatternOne.Gateway.Listeners;

/// <summary>
/// Kestrel as the seed's Istio gateway: HTTP and HTTPS for clients, plus status and metrics ports. Explicit listeners
/// replace <c>ASPNETCORE_URLS</c>; the ports come from <c>Gateway:*Port</c> only.
/// </summary>
internal sealed class GatewayKestrelSetup(IOptions<GatewayOptions> options, GatewayListeners listeners, IServiceProvider services)
    : IConfigureOptions<KestrelServerOptions>
{
    /// <summary>TLS 1.0 and 1.1 are refused: deprecated by RFC 8996, and what Istio's gateway also refuses by default.</summary>
    internal const SslProtocols AllowedProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    public void Configure(KestrelServerOptions kestrel)
    {
        var gateway = options.Value;

        // No banner: a version string in every response helps nobody but a scanner.
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = gateway.Limits.MaxRequestBodySize;
        kestrel.Limits.MaxRequestHeadersTotalSize = gateway.Limits.MaxRequestHeadersTotalSize;
        kestrel.Limits.MaxRequestHeaderCount = gateway.Limits.MaxRequestHeaderCount;
        kestrel.Limits.MaxRequestLineSize = gateway.Limits.MaxRequestLineSize;

        Listen(kestrel, gateway, ListenerKind.Http, gateway.HttpPort, HttpProtocols.Http1, configure: null);
        if (gateway.Tls.IsConfigured)
        {
            var store = services.GetRequiredService<IServerCertificateStore>();
            Listen(kestrel, gateway, ListenerKind.Https, gateway.HttpsPort, HttpProtocols.Http1AndHttp2, listen =>
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    HandshakeTimeout = gateway.Tls.HandshakeTimeout,
                    OnConnection = _ => ValueTask.FromResult(CreateServerOptions(store.Current)),
                }));
        }

        Listen(kestrel, gateway, ListenerKind.Status, gateway.StatusPort, HttpProtocols.Http1, configure: null);
        Listen(kestrel, gateway, ListenerKind.Metrics, gateway.MetricsPort, HttpProtocols.Http1, configure: null);
    }

    /// <summary>Per handshake: the certificate current now, so a renewed one applies to the next connection.</summary>
    internal static SslServerAuthenticationOptions CreateServerOptions(ServerCertificate certificate) => new()
    {
        ServerCertificateContext = certificate.Context,
        EnabledSslProtocols = AllowedProtocols,
        // ALPN: h2 preferred, HTTP/1.1 for clients that do not offer it.
        ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
    };

    private void Listen(KestrelServerOptions kestrel, GatewayOptions gateway, ListenerKind kind, int port, HttpProtocols protocols,
        Action<ListenOptions>? configure)
    {
        void Configure(ListenOptions listen)
        {
            listen.Protocols = protocols;
            configure?.Invoke(listen);
            listeners.Add(kind, listen);
        }

        if (string.IsNullOrEmpty(gateway.BindAddress))
        {
            if (port == 0)
            {
                // ListenAnyIP cannot bind one dynamic port on two address families.
                kestrel.Listen(IPAddress.Any, 0, Configure);
            }
            else
            {
                kestrel.ListenAnyIP(port, Configure);
            }
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(gateway.BindAddress), port, Configure);
        }
    }
}
