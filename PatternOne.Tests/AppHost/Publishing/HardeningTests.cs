using k8s.Models;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>The hardening baseline (kube-score, kube-linter and Polaris defaults) on every committed workload, and the contract's configuration.</summary>
public sealed class HardeningTests
{
    private static readonly Lazy<IReadOnlyList<object>> s_objects = new(() => [.. PublishRun.LoadObjects(PublishRun.CommittedOutput).Select(o => o.Object)]);

    private static IEnumerable<V1Deployment> Deployments => s_objects.Value.OfType<V1Deployment>();

    public static TheoryData<string> DeploymentNames() => [.. PublishRun.LoadObjects(PublishRun.CommittedOutput).Select(o => o.Object).OfType<V1Deployment>().Select(d => d.Metadata.Name)];

    private static V1Deployment Deployment(string name) => Deployments.Single(d => d.Metadata.Name == name);

    [Theory]
    [MemberData(nameof(DeploymentNames))]
    public void EveryContainer_RunsRestricted_WithResourcesAndAPinnedImage(string name)
    {
        var pod = Deployment(name).Spec.Template.Spec;

        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.True(pod.SecurityContext.RunAsUser >= 10000);
        Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
        foreach (var container in pod.Containers.Concat(pod.InitContainers ?? []))
        {
            var security = container.SecurityContext;
            Assert.True(security.RunAsNonRoot, container.Name);
            Assert.False(security.AllowPrivilegeEscalation, container.Name);
            Assert.False(security.Privileged ?? false, container.Name);
            Assert.True(security.ReadOnlyRootFilesystem, container.Name);
            Assert.Equal(["ALL"], security.Capabilities.Drop);
            Assert.Null(security.Capabilities.Add);
            foreach (var resource in new[] { "cpu", "memory" })
            {
                Assert.True(container.Resources.Requests.ContainsKey(resource), $"{container.Name} requests {resource}");
                Assert.True(container.Resources.Limits.ContainsKey(resource), $"{container.Name} limits {resource}");
            }

            var tag = container.Image[(container.Image.LastIndexOf('/') + 1)..].Split(':');
            Assert.True(tag.Length == 2 && tag[1] is { Length: > 0 } and not "latest", $"{container.Name}: image '{container.Image}' has no pinned tag");

            // Every writable path of the read-only root is a size-limited emptyDir.
            foreach (var mount in (container.VolumeMounts ?? []).Where(m => m.ReadOnlyProperty != true))
            {
                var volume = pod.Volumes.Single(v => v.Name == mount.Name);
                Assert.True(volume.EmptyDir?.SizeLimit is not null, $"{container.Name}: writable {mount.MountPath} is not a size-limited emptyDir");
            }
        }
    }

    [Theory]
    [MemberData(nameof(DeploymentNames))]
    public void OnlyTheScheduler_MountsAServiceAccountToken(string name)
    {
        var pod = Deployment(name).Spec.Template.Spec;

        Assert.Equal(name == "qwen2-3b-pattern1-kserve-router-scheduler", pod.AutomountServiceAccountToken);
    }

    [Fact]
    public void SchedulerRole_OnlyReadsPodsAndInferenceObjectives()
    {
        var role = Assert.Single(s_objects.Value.OfType<V1Role>());
        Assert.Equal(2, role.Rules.Count);
        Assert.Equal([""], role.Rules[0].ApiGroups);
        Assert.Equal(["pods"], role.Rules[0].Resources);
        Assert.Equal(["llm-d.ai"], role.Rules[1].ApiGroups);
        Assert.Equal(["inferenceobjectives"], role.Rules[1].Resources);
        Assert.All(role.Rules, rule => Assert.Equal(["get", "list", "watch"], rule.Verbs));
        var binding = Assert.Single(s_objects.Value.OfType<V1RoleBinding>());
        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(Deployment("qwen2-3b-pattern1-kserve-router-scheduler").Spec.Template.Spec.ServiceAccountName, subject.Name);
    }

    [Fact]
    public void HuggingFaceToken_ComesFromASecret_NeverInline()
    {
        var pod = Deployment("qwen2-3b-pattern1-kserve").Spec.Template.Spec;
        var tokens = pod.Containers.Concat(pod.InitContainers).SelectMany(c => c.Env ?? []).Where(e => e.Name.Contains("TOKEN", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(tokens);
        Assert.All(tokens, e =>
        {
            Assert.Null(e.Value);
            Assert.Equal("hf-token", e.ValueFrom.SecretKeyRef.Name);
        });
    }

    [Fact]
    public void GatewayConfiguration_PointsAtTheClusterServices()
    {
        var env = s_objects.Value.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "inference-gateway-istio-env").Data;

        Assert.Equal("http://qwen2-3b-pattern1-epp-service.llm-d-inference-scheduling.svc:9002", env["Gateway__Pools__0__EndpointPicker"]);
        Assert.Equal("qwen2-3b-pattern1-kserve-workload-svc.llm-d-inference-scheduling.svc:8000", env["Gateway__Pools__0__Endpoints__0"]);
        Assert.Equal("/llm-d-inference-scheduling/qwen2-3b-pattern1/", env["Gateway__Routes__0__PathPrefix"]);
        Assert.Equal("FailOpen", env["Gateway__Pools__0__FailureMode"]);
        var tls = Deployment("inference-gateway-istio").Spec.Template.Spec.Volumes.Single(v => v.Secret is not null).Secret.SecretName;
        var certificate = s_objects.Value.OfType<PatternOne.AppHost.Publishing.Manifests.CertManagerCertificate>().Single(c => c.Metadata.Name == "inference-gateway-tls");
        Assert.Equal(certificate.Spec.SecretName, tls);
        Assert.StartsWith("/etc/patternone/tls/", env["Gateway__Tls__CertificatePath"], StringComparison.Ordinal);
    }

    [Fact]
    public void SchedulerConfiguration_DiscoversTheVllmPodsByTheirLabels()
    {
        // Upstream's standalone mode: --endpoint-selector / --endpoint-target-ports, read by the scheduler's parser.
        var scheduler = Deployment("qwen2-3b-pattern1-kserve-router-scheduler").Spec.Template.Spec.Containers.Single();
        var settings = PatternOne.Scheduler.Hosting.EndpointPickerCommandLine.Parse([.. scheduler.Args]).Settings;
        var vllmLabels = Deployment("qwen2-3b-pattern1-kserve").Spec.Template.Metadata.Labels;

        Assert.Equal("Kubernetes", settings["InferencePool:Discovery"]);
        Assert.Equal("llm-d-inference-scheduling", settings["InferencePool:Namespace"]);
        Assert.Equal("8000", settings["InferencePool:TargetPorts:0"]);
        var selector = settings.Where(kv => kv.Key.StartsWith("InferencePool:Selector:", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["InferencePool:Selector:".Length..], kv => kv.Value!);
        Assert.NotEmpty(selector);
        Assert.All(selector, kv => Assert.Equal(kv.Value, vllmLabels[kv.Key]));
        Assert.Equal("/etc/patternone/scheduler/endpoint-picker.yaml", settings["Scheduler:ConfigFile"]);
        Assert.Contains(scheduler.VolumeMounts, m => m.MountPath == settings["Scheduler:ConfigFile"]);
    }
}
