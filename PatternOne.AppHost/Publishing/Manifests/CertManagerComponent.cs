using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The seed's TLS chain (ODH's self-signed CA bootstrap plus the gateway's leaf certificate, as in cert-manager's CA-issuer bootstrap, cert-manager.io/docs/configuration/selfsigned/):
/// <code>
///  ClusterIssuer opendatahub-selfsigned-issuer ─▶ Certificate opendatahub-ca (isCA, ns cert-manager)
///  ─▶ ClusterIssuer opendatahub-ca-issuer ─▶ Certificate inference-gateway-tls (ns opendatahub)
///     ─▶ Secret inference-gateway-tls-cert, mounted by the gateway
/// </code>
/// A ClusterIssuer reads its CA Secret from the cluster resource namespace, hence the CA in <c>cert-manager</c>.
/// </summary>
internal sealed class CertManagerComponent : IManifestComponent
{
    public const string FolderName = "cert-manager";

    public string Folder => FolderName;

    public ManifestFolder Build(ClusterPlan plan) => new(Folder,
    [
        new ManifestFile("clusterissuer-selfsigned.yaml", new CertManagerClusterIssuer
        {
            Metadata = new V1ObjectMeta { Name = ClusterNames.SelfSignedIssuer },
            Spec = new IssuerSpec { SelfSigned = new SelfSignedIssuer() },
        }),
        new ManifestFile("certificate-ca.yaml", new CertManagerCertificate
        {
            Metadata = new V1ObjectMeta { Name = ClusterNames.CaCertificate, NamespaceProperty = ClusterNames.CertManagerNamespace },
            Spec = new CertificateSpec
            {
                IsCA = true,
                CommonName = ClusterNames.CaCertificate,
                SecretName = ClusterNames.CaCertificate,
                Duration = "87600h",
                RenewBefore = "2160h",
                PrivateKey = new CertificatePrivateKey { Algorithm = "RSA", Size = 4096 },
                IssuerRef = new IssuerReference { Name = ClusterNames.SelfSignedIssuer, Kind = CertManagerClusterIssuer.KubeKind, Group = CertManagerClusterIssuer.KubeGroup },
            },
        }),
        new ManifestFile("clusterissuer-ca.yaml", new CertManagerClusterIssuer
        {
            Metadata = new V1ObjectMeta { Name = ClusterNames.CaIssuer },
            Spec = new IssuerSpec { Ca = new CaIssuer { SecretName = ClusterNames.CaCertificate } },
        }),
        new ManifestFile("certificate-gateway.yaml", new CertManagerCertificate
        {
            Metadata = new V1ObjectMeta { Name = plan.Gateway.CertificateName, NamespaceProperty = plan.Gateway.Namespace },
            Spec = new CertificateSpec
            {
                SecretName = ClusterNames.GatewayTlsSecret,
                Duration = "2160h",
                RenewBefore = "360h",
                CommonName = plan.Gateway.TlsDnsNames.FirstOrDefault(n => !n.StartsWith('*')),
                DnsNames = plan.Gateway.TlsDnsNames.Count > 0 ? [.. plan.Gateway.TlsDnsNames] : null,
                IpAddresses = plan.Gateway.TlsIpAddresses.Count > 0 ? [.. plan.Gateway.TlsIpAddresses] : null,
                PrivateKey = new CertificatePrivateKey { Algorithm = "RSA", Size = 2048, RotationPolicy = "Always" },
                Usages = ["digital signature", "key encipherment", "server auth"],
                IssuerRef = new IssuerReference { Name = ClusterNames.CaIssuer, Kind = CertManagerClusterIssuer.KubeKind, Group = CertManagerClusterIssuer.KubeGroup },
            },
        }),
    ]);
}
