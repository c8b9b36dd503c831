using k8s.Models;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The security posture every pod gets (the checks kube-score, kube-linter and Polaris run by default),
/// and the annotation that records deliberate exceptions on the object they apply to.
/// </summary>
internal static class Hardening
{
    /// <summary>Annotation listing the documented exceptions to the hardening baseline of an object.</summary>
    public const string ExceptionsAnnotation = "patternone.io/hardening-exceptions";

    /// <summary>UID/GID of our .NET images: above 10000 as kube-score asks; the apps need no particular user.</summary>
    public const long DotnetUser = 10001;

    public const string TmpVolume = "tmp";
    public const string TmpPath = "/tmp";

    public static V1PodSecurityContext Pod(long user) => new()
    {
        RunAsNonRoot = true,
        RunAsUser = user,
        RunAsGroup = user,
        FsGroup = user,
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
    };

    public static V1SecurityContext Container() => new()
    {
        AllowPrivilegeEscalation = false,
        Privileged = false,
        ReadOnlyRootFilesystem = true,
        RunAsNonRoot = true,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
    };

    public static V1ResourceRequirements Resources(string cpuRequest, string memoryRequest, string cpuLimit, string memoryLimit) => new()
    {
        Requests = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal)
        {
            ["cpu"] = new(cpuRequest),
            ["memory"] = new(memoryRequest),
        },
        Limits = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal)
        {
            ["cpu"] = new(cpuLimit),
            ["memory"] = new(memoryLimit),
        },
    };

    /// <summary>A size-limited emptyDir: every writable path of a read-only root filesystem is one of these.</summary>
    public static V1Volume EmptyDir(string name, string sizeLimit, string? medium = null) => new()
    {
        Name = name,
        EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity(sizeLimit), Medium = medium },
    };
}
