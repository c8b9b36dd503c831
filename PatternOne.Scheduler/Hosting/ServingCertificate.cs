using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatternOne.Scheduler.Hosting;

/// <summary>
/// The ext_proc listener's certificate, in upstream's order: explicit PEM files (<c>Scheduler:Tls:CertificatePath</c>
/// / <c>KeyPath</c>), else <c>tls.crt</c> and <c>tls.key</c> in <c>--cert-path</c> (where KServe and cert-manager
/// mount a Secret), else — <c>--secure-serving</c> without a certificate — a self-signed one made at start, as
/// upstream's EPP does (the gateway then skips verification: Istio's DestinationRule <c>insecureSkipVerify</c>).
/// </summary>
internal static class ServingCertificate
{
    public const string CertificateFile = "tls.crt";
    public const string KeyFile = "tls.key";

    public static X509Certificate2 Load(SchedulerTlsOptions tls)
    {
        if (!string.IsNullOrWhiteSpace(tls.CertificatePath))
        {
            return FromPem(tls.CertificatePath, tls.KeyPath);
        }

        if (!string.IsNullOrWhiteSpace(tls.CertPath))
        {
            return FromPem(Path.Combine(tls.CertPath, CertificateFile), Path.Combine(tls.CertPath, KeyFile));
        }

        return SelfSigned();
    }

    /// <summary>PEM files, loaded through PKCS#12 so the key is usable by SslStream on every platform.</summary>
    private static X509Certificate2 FromPem(string certificate, string? key)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificate, key);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>ECDSA P-256, one year, the host's names: like upstream's, it authenticates nothing; it encrypts.</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=patternone-scheduler", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Environment.MachineName.ToLowerInvariant());
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }
}
