using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests.Topologies;

/// <summary>
/// The KServe topology: the seed's <c>LLMInferenceService</c>. KServe's controller creates from it the vLLM
/// Deployment and Service, the InferencePool, the HTTPRoute on <c>inference-gateway</c>, the scheduler's Deployment,
/// Service and RBAC, the self-signed certificates and Istio DestinationRules (reference: opendatahub-io/kserve
/// release-v0.15 <c>pkg/controller/llmisvc</c>). We override two pod templates:
/// <code>
///  template (main)           vLLM on the TPU slice, HTTPS on 8000 with KServe's certificate (/var/run/kserve/tls)
///  router.scheduler.template our scheduler image, with exactly the preset's EPP flags plus --config-file
/// </code>
/// Containers merge with the presets by name (<c>main</c>), so ports, probes and mounts we do not state stay KServe's.
/// The route's rules are ours (<see cref="InferenceRouteComponent.Rules"/>): the public surface only, to the pool of
/// the v1alpha2 group KServe always creates (and our scheduler watches, as KServe's preset tells it).
/// </summary>
internal sealed class LlmInferenceServiceComponent : IManifestComponent
{
    public const string ContainerName = "main";
    public const string ConfigVolume = "patternone-config";

    public string Folder { get; }

    public LlmInferenceServiceComponent(string folder) => Folder = folder;

    public ManifestFolder Build(ClusterPlan plan) => new(Folder, [new ManifestFile("llminferenceservice.yaml", Service(plan))]);

    /// <summary>The scheduler's arguments: KServe's preset, then our profile.</summary>
    internal static IReadOnlyList<string> SchedulerArgs(ClusterPlan plan) =>
        [.. EndpointPickerArgs.KServePreset(plan), EndpointPickerArgs.ConfigFile, SchedulerComponent.ConfigDirectory + "/" + SchedulerComponent.ProfileFile];

    private static LlmInferenceService Service(ClusterPlan plan) => new()
    {
        Metadata = new V1ObjectMeta { Name = plan.Pool.Name, NamespaceProperty = plan.Pool.Namespace },
        Spec = new LlmInferenceServiceSpec
        {
            Model = new LlmModelSpec { Uri = "hf://" + plan.Pool.Model, Name = plan.Pool.ServedModelName },
            Replicas = plan.Pool.Replicas,
            Router = new RouterSpec
            {
                // KServe's preset route sends everything outside /v1/completions and /v1/chat/completions to the
                // workload Service (/metrics, /tokenize … included); ours exposes the public surface only. KServe merges
                // presets strategically, and Gateway API lists have no merge key: these rules replace the preset's.
                Route = new ManagedRoute
                {
                    Http = new ManagedHttpRoute
                    {
                        Spec = new InlineHttpRouteSpec { Rules = InferenceRouteComponent.Rules(plan, InferencePoolV1Alpha2.KubeGroup) },
                    },
                },
                Gateway = new GatewaySelection { Refs = [new UntypedObjectReference { Name = ClusterNames.GatewayName, Namespace = plan.Gateway.Namespace }] },
                Scheduler = new SchedulerSpec { Template = SchedulerTemplate(plan) },
            },
            Template = WorkloadTemplate(plan),
        },
    };

    private static V1PodSpec WorkloadTemplate(ClusterPlan plan)
    {
        var pool = plan.Pool;
        var (nodeSelector, tolerations) = VllmComponent.TpuPlacement(pool);
        // KServe's workload Service, DestinationRules and the scheduler's https scrape all expect TLS on 8000.
        var health = new V1HTTPGetAction { Path = "/health", Port = pool.Port, Scheme = "HTTPS" };
        return new V1PodSpec
        {
            NodeSelector = nodeSelector,
            Tolerations = tolerations,
            ImagePullSecrets = [new V1LocalObjectReference { Name = plan.Images.PullSecret }],
            Containers =
            [
                new V1Container
                {
                    Name = ContainerName,
                    Image = plan.Images.Vllm,
                    // Replaces the preset's /bin/bash -c script (containers merge by name; command and args replace).
                    Command = VllmComponent.Command,
                    Args =
                    [
                        .. VllmComponent.ServeArgs(pool),
                        "--ssl-certfile=" + EndpointPickerArgs.KServeCertPath + "/tls.crt",
                        "--ssl-keyfile=" + EndpointPickerArgs.KServeCertPath + "/tls.key",
                    ],
                    Env = VllmComponent.MainEnv(pool),
                    Resources = VllmComponent.MainResources(pool),
                    StartupProbe = new V1Probe { HttpGet = health, PeriodSeconds = 10, TimeoutSeconds = 5, FailureThreshold = 90 },
                    ReadinessProbe = new V1Probe
                    {
                        HttpGet = new V1HTTPGetAction { Path = "/v1/models", Port = pool.Port, Scheme = "HTTPS" },
                        PeriodSeconds = 10,
                        TimeoutSeconds = 10,
                        FailureThreshold = 3,
                    },
                    LivenessProbe = new V1Probe { HttpGet = health, PeriodSeconds = 30, TimeoutSeconds = 30, FailureThreshold = 5 },
                },
            ],
        };
    }

    private static V1PodSpec SchedulerTemplate(ClusterPlan plan) => new()
    {
        ImagePullSecrets = [new V1LocalObjectReference { Name = plan.Images.PullSecret }],
        Containers =
        [
            new V1Container
            {
                Name = ContainerName,
                Image = plan.Images.Scheduler,
                Args = [.. SchedulerArgs(plan)],
                // The preset's root filesystem is read-only: .NET writes its few files under HOME.
                Env =
                [
                    new V1EnvVar { Name = "HOME", Value = Hardening.TmpPath },
                    new V1EnvVar { Name = "OTEL_SERVICE_NAME", Value = plan.Scheduler.ResourceName },
                ],
                VolumeMounts =
                [
                    new V1VolumeMount { Name = Hardening.TmpVolume, MountPath = Hardening.TmpPath },
                    new V1VolumeMount
                    {
                        Name = ConfigVolume,
                        MountPath = SchedulerComponent.ConfigDirectory + "/" + SchedulerComponent.ProfileFile,
                        SubPath = SchedulerComponent.ProfileFile,
                        ReadOnlyProperty = true,
                    },
                ],
            },
        ],
        Volumes =
        [
            new V1Volume { Name = ConfigVolume, ConfigMap = new V1ConfigMapVolumeSource { Name = ClusterNames.SchedulerProfile(plan.Pool.Name) } },
            Hardening.EmptyDir(Hardening.TmpVolume, "256Mi"),
        ],
    };
}
