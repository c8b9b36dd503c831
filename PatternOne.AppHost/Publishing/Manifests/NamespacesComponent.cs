using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>The app namespace and the gateway namespace, with Pod Security Admission labels.</summary>
internal sealed class NamespacesComponent : IManifestComponent
{
    public const string FolderName = "namespaces";
    private const string PodSecurity = "pod-security.kubernetes.io/";

    public string Folder => FolderName;

    public ManifestFolder Build(ClusterPlan plan)
    {
        // The app namespace holds only our pods, so it enforces "restricted" — unless KServe's controller writes the
        // pods from its presets, which we do not control. The gateway namespace is opendatahub, which in the seed's
        // cluster also hosts the KServe controller: there we only warn and audit.
        var app = Namespace(plan.Pool.Namespace, enforce: plan.Topology != PublishTopology.KServe);
        var gateway = Namespace(plan.Gateway.Namespace, enforce: false);
        return new ManifestFolder(Folder,
        [
            .. new[] { app, gateway }.DistinctBy(n => n.Metadata.Name).OrderBy(n => n.Metadata.Name, StringComparer.Ordinal)
                .Select(n => new ManifestFile(n.Metadata.Name + ".yaml", n)),
        ]);
    }

    private static V1Namespace Namespace(string name, bool enforce)
    {
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [PodSecurity + "audit"] = "restricted",
            [PodSecurity + "warn"] = "restricted",
        };
        if (enforce)
        {
            labels[PodSecurity + "enforce"] = "restricted";
        }

        return new V1Namespace
        {
            ApiVersion = V1Namespace.KubeApiVersion,
            Kind = V1Namespace.KubeKind,
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        };
    }
}
