using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using PatternOne.Gateway.Tls;
using PatternOne.Gateway;
using PatternOne.Tests.Gateway.Support;

namespace PatternOne.Tests.Gateway.Tls;

public sealed class TlsTests : IAsyncLifetime
{
    private readonly TestCertificates _certificates = new();
    private FakeReplica _replica = null!;
    private GatewayHost _gateway = null!;
    private X509Certificate2 _leaf = null!;

    public async Task InitializeAsync()
    {
        _leaf = _certificates.WriteLeaf("gateway-one");
        _replica = await FakeReplica.StartAsync("tls");
        _gateway = await GatewayHost.StartAsync(GatewayHost.Settings(picker: null, [_replica.Authority],
            (GatewaySettings.Keys.TlsCertificatePath, _certificates.CertificatePath),
            (GatewaySettings.Keys.TlsKeyPath, _certificates.KeyPath)));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _replica.DisposeAsync();
        _leaf.Dispose();
        _certificates.Dispose();
    }

    [Fact]
    public async Task Https_ChainValidatesAgainstTheCa_AndHttp2IsNegotiated()
    {
        var validated = false;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => validated = _certificates.Validates(certificate);
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{_gateway.HttpsPort}"), Timeout = TestTimeouts.Request };
        using var request = new HttpRequestMessage(HttpMethod.Get, GatewayHost.Prefix + "/v1/models")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.SendAsync(request);

        Assert.True(validated);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("https", _replica.Requests.Last().Headers["x-forwarded-proto"]);
    }

    [Fact]
    public async Task Handshake_FromAnotherCaIsNotTrusted()
    {
        using var other = new TestCertificates();
        using var stream = await ConnectAsync();

        var certificate = await HandshakeAsync(stream, SslProtocols.Tls12 | SslProtocols.Tls13, "h2");

        Assert.False(other.Validates(certificate));
        Assert.True(_certificates.Validates(certificate));
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Handshake_AcceptsTls12And13(SslProtocols protocol)
    {
        using var tcp = await ConnectAsync();
        await using var ssl = new SslStream(tcp.GetStream());

        await ssl.AuthenticateAsClientAsync(ClientOptions(protocol, "http/1.1")).WaitAsync(TestTimeouts.Request);

        Assert.Equal(protocol, ssl.SslProtocol);
        Assert.Equal(SslApplicationProtocol.Http11, ssl.NegotiatedApplicationProtocol);
    }

[Theory]
    [InlineData(TlsClientHello.Tls10)]
    [InlineData(TlsClientHello.Tls11)]
    public async Task Handshake_RefusesTls10And11(ushort version)
    {
        var answer = await TlsClientHello.SendAsync(IPAddress.Loopback.ToString(), _gateway.HttpsPort!.Value, version, TestTimeouts.Request);

        Assert.False(answer.IsServerHello, $"the gateway answered a TLS {version:x4} hello with a ServerHello for {answer.ServerVersion:x4}");
    }

    [Fact]
    public async Task HandBuiltHello_OfferingTls12_GetsAServerHello()
    {
        // The refusals above mean something only if the same hello, offering 1.2, is one the gateway accepts.
        var answer = await TlsClientHello.SendAsync(IPAddress.Loopback.ToString(), _gateway.HttpsPort!.Value, TlsClientHello.Tls12, TestTimeouts.Request);

        Assert.True(answer.IsServerHello, $"alert {answer.AlertDescription}");
        Assert.Equal(TlsClientHello.Tls12, answer.ServerVersion);
    }

    [Fact]
    public async Task Alpn_OffersHttp2AndHttp11()
    {
        using var tcp = await ConnectAsync();
        await using var ssl = new SslStream(tcp.GetStream());

        await ssl.AuthenticateAsClientAsync(ClientOptions(SslProtocols.Tls13, "h2")).WaitAsync(TestTimeouts.Request);

        Assert.Equal(SslApplicationProtocol.Http2, ssl.NegotiatedApplicationProtocol);
    }

    [Fact]
    public async Task CertificateFilesReplaced_NewHandshakesPresentTheNewCertificate()
    {
        var store = _gateway.App.Services.GetRequiredService<IServerCertificateStore>();
        var changed = new TaskCompletionSource<ServerCertificate>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var before = await ConnectAsync();
        Assert.Equal(_leaf.Thumbprint, (await HandshakeAsync(before, SslProtocols.Tls13, "h2"))!.GetCertHashString());
        store.Changed += certificate =>
        {
            if (certificate.Leaf.Subject.Contains("gateway-two", StringComparison.Ordinal))
            {
                changed.TrySetResult(certificate);
            }
        };

        using var renewed = _certificates.WriteLeaf("gateway-two");
        await changed.Task.WaitAsync(TestTimeouts.Request);

        using var after = await ConnectAsync();
        var presented = await HandshakeAsync(after, SslProtocols.Tls13, "h2");
        Assert.Equal(renewed.Thumbprint, presented!.GetCertHashString());
        Assert.True(_certificates.Validates(presented));
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _gateway.HttpsPort!.Value).WaitAsync(TestTimeouts.Request);
        return tcp;
    }

    private static async Task<X509Certificate?> HandshakeAsync(TcpClient tcp, SslProtocols protocols, string alpn)
    {
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(ClientOptions(protocols, alpn)).WaitAsync(TestTimeouts.Request);
        return ssl.RemoteCertificate;
    }

    private static SslClientAuthenticationOptions ClientOptions(SslProtocols protocols, string alpn) => new()
    {
        TargetHost = "localhost",
        EnabledSslProtocols = protocols,
        ApplicationProtocols = [new SslApplicationProtocol(alpn)],
        // These handshakes check what the server does; chain validation against the CA is asserted separately.
        RemoteCertificateValidationCallback = (_, _, _, _) => true,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };
}
