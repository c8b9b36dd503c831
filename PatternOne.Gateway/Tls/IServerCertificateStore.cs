using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace PatternOne.Gateway.Tls;

/// <summary>
/// The HTTPS listener's certificate, replaced in place when the files change: every new handshake asks for the
/// current one, established connections keep theirs.
/// </summary>
public interface IServerCertificateStore
{
    /// <summary>The certificate new handshakes present.</summary>
    ServerCertificate Current { get; }

    /// <summary>Raised after a new certificate replaced the previous one.</summary>
    event Action<ServerCertificate>? Changed;

    /// <summary>Compares the files with the loaded pair now and loads them if they differ.</summary>
    bool Reload();
}

/// <summary>A loaded certificate with its chain, ready for <see cref="SslStream"/>.</summary>
public sealed record ServerCertificate(X509Certificate2 Leaf, SslStreamCertificateContext Context, DateTimeOffset LoadedAt);
