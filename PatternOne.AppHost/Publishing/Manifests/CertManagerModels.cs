using System.Text.Json.Serialization;

namespace PatternOne.AppHost.Publishing.Manifests;

// Small typed models of the cert-manager v1 objects we write (field names as in the v1.16 CRDs).

/// <summary>cert-manager <c>ClusterIssuer</c> (cluster-scoped).</summary>
public sealed class CertManagerClusterIssuer() : CustomResource<IssuerSpec>(KubeGroup, KubeApiVersion, KubeKind)
{
    public const string KubeApiVersion = "v1", KubeGroup = "cert-manager.io", KubeKind = "ClusterIssuer";
}

/// <summary>Exactly one of <see cref="SelfSigned"/> or <see cref="Ca"/> is set.</summary>
public sealed class IssuerSpec
{
    [JsonPropertyName("selfSigned")] public SelfSignedIssuer? SelfSigned { get; set; }
    [JsonPropertyName("ca")] public CaIssuer? Ca { get; set; }
}

public sealed class SelfSignedIssuer
{
}

public sealed class CaIssuer
{
    /// <summary>Secret holding the CA key pair, read from the cluster resource namespace (<c>cert-manager</c>).</summary>
    [JsonPropertyName("secretName")] public string SecretName { get; set; } = "";
}

/// <summary>cert-manager <c>Certificate</c>.</summary>
public sealed class CertManagerCertificate() : CustomResource<CertificateSpec>(KubeGroup, KubeApiVersion, KubeKind)
{
    public const string KubeApiVersion = "v1", KubeGroup = "cert-manager.io", KubeKind = "Certificate";
}

public sealed class CertificateSpec
{
    [JsonPropertyName("isCA")] public bool? IsCA { get; set; }
    [JsonPropertyName("commonName")] public string? CommonName { get; set; }
    [JsonPropertyName("secretName")] public string SecretName { get; set; } = "";
    [JsonPropertyName("duration")] public string? Duration { get; set; }
    [JsonPropertyName("renewBefore")] public string? RenewBefore { get; set; }
    [JsonPropertyName("privateKey")] public CertificatePrivateKey? PrivateKey { get; set; }
    [JsonPropertyName("issuerRef")] public IssuerReference IssuerRef { get; set; } = new();
    [JsonPropertyName("dnsNames")] public IList<string>? DnsNames { get; set; }
    [JsonPropertyName("ipAddresses")] public IList<string>? IpAddresses { get; set; }

    /// <summary>cert-manager's spaced enum strings, e.g. <c>server auth</c>.</summary>
    [JsonPropertyName("usages")] public IList<string>? Usages { get; set; }
}

public sealed class CertificatePrivateKey
{
    [JsonPropertyName("algorithm")] public string? Algorithm { get; set; }
    [JsonPropertyName("size")] public int? Size { get; set; }
    [JsonPropertyName("rotationPolicy")] public string? RotationPolicy { get; set; }
}

public sealed class IssuerReference
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("group")] public string? Group { get; set; }
}
