using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatternOne.AppHost.Tls;

/// <summary>
/// The local stand-in for cert-manager's self-signed CA: a CA created on first run and reused afterwards, and a
/// server certificate it issues for the gateway. Files are PEM, laid out as cert-manager's Secret keys
/// (<c>ca.crt</c>, <c>tls.crt</c> with the chain, <c>tls.key</c>), so the gateway reads them the same way in both places.
/// </summary>
public sealed class LocalCertificateAuthority(string directory)
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key";
    public const string CertificateFile = "tls.crt";
    public const string KeyFile = "tls.key";

    /// <summary>The CA lives long: users point curl and their trust stores at it once.</summary>
    private static readonly TimeSpan s_caLifetime = TimeSpan.FromDays(3650);

    /// <summary>The leaf lives as cert-manager's default (90 days) and is renewed when a third is left.</summary>
    private static readonly TimeSpan s_leafLifetime = TimeSpan.FromDays(90);

    private static readonly TimeSpan s_renewBefore = TimeSpan.FromDays(30);

    public string Directory { get; } = directory;

    public string CaCertificatePath => Path.Combine(Directory, CaCertificateFile);

    public string CertificatePath => Path.Combine(Directory, CertificateFile);

    public string KeyPath => Path.Combine(Directory, KeyFile);

    /// <summary>
    /// Makes sure a valid CA and a leaf covering <paramref name="dnsNames"/> and <paramref name="ipAddresses"/> exist,
    /// creating or renewing what is missing, expiring or no longer matching. Safe against concurrent AppHosts
    /// (parallel test runs): the work happens under an exclusive lock file.
    /// </summary>
    public void EnsureIssued(IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> ipAddresses, DateTimeOffset now)
    {
        System.IO.Directory.CreateDirectory(Directory);
        using var lockFile = AcquireLock();

        var ca = LoadCertificate(CaCertificatePath, Path.Combine(Directory, CaKeyFile));
        if (ca is null || ca.NotAfter.ToUniversalTime() - now.UtcDateTime < s_renewBefore)
        {
            ca?.Dispose();
            ca = CreateCa(now);
            WritePem(CaCertificatePath, ca.ExportCertificatePem(), isSecret: false);
            WritePem(Path.Combine(Directory, CaKeyFile), ca.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), isSecret: true);
        }

        using (ca)
        {
            using var leaf = LoadCertificate(CertificatePath, KeyPath);
            if (leaf is null || !IsCurrent(leaf, ca, dnsNames, ipAddresses, now))
            {
                using var issued = IssueLeaf(ca, dnsNames, ipAddresses, now);
                // Write the key first: a gateway reloading on the certificate file's change must find a matching key.
                WritePem(KeyPath, issued.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), isSecret: true);
                WritePem(CertificatePath, issued.ExportCertificatePem() + "\n" + ca.ExportCertificatePem(), isSecret: false);
            }
        }
    }

    private FileStream AcquireLock()
    {
        // The lock file stays in place (no DeleteOnClose): deleting it on close would let a waiter lock the unlinked
        // file while a newcomer locks a fresh one, and both would issue.
        var path = Path.Combine(Directory, ".lock");
        var deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                // Another AppHost is issuing; it holds the lock for milliseconds.
                Thread.Sleep(20);
            }
        }
    }

    private static X509Certificate2? LoadCertificate(string certificatePath, string keyPath)
    {
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            return null;
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (CryptographicException)
        {
            // Unreadable or mismatched files are replaced, not fatal.
            return null;
        }
    }

    private static bool IsCurrent(X509Certificate2 leaf, X509Certificate2 ca, IReadOnlyCollection<string> dnsNames,
        IReadOnlyCollection<IPAddress> ipAddresses, DateTimeOffset now)
    {
        if (leaf.NotAfter.ToUniversalTime() - now.UtcDateTime < s_renewBefore || leaf.Issuer != ca.Subject)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(leaf))
        {
            return false;
        }

        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        var presentDns = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var presentIps = san.EnumerateIPAddresses().ToHashSet();
        return dnsNames.All(presentDns.Contains) && ipAddresses.All(presentIps.Contains);
    }

    private static X509Certificate2 CreateCa(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=PatternOne Local CA, O=PatternOne", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(s_caLifetime));
        return X509Certificate2.CreateFromPem(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static X509Certificate2 IssueLeaf(X509Certificate2 ca, IReadOnlyCollection<string> dnsNames,
        IReadOnlyCollection<IPAddress> ipAddresses, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=inference-gateway, O=PatternOne", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        foreach (var address in ipAddresses)
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build(critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var notAfter = now.Add(s_leafLifetime) < ca.NotAfter ? now.Add(s_leafLifetime) : new DateTimeOffset(ca.NotAfter);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, now.AddMinutes(-5), notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    private static void WritePem(string path, string pem, bool isSecret)
    {
        // Replace atomically so a reader never sees half a file.
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, pem);
        if (isSecret && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
