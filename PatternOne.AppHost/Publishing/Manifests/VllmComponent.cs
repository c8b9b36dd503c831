using System.Globalization;
using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The pool's vLLM Deployment on a TPU slice and its Service — what KServe's LLMInferenceService controller
/// creates for the seed (<c>&lt;pool&gt;-kserve</c>, <c>&lt;pool&gt;-kserve-workload-svc</c>), expanded and hardened.
/// <code>
///  init: storage-initializer  hf://model ──HTTPS 443──▶ /mnt/models (emptyDir)
///  main: vLLM --model=/mnt/models  :8000  (/health, /v1/models, /metrics)   google.com/tpu = chips
/// </code>
/// </summary>
internal sealed class VllmComponent : IManifestComponent
{
    public const string MainContainer = "main";
    public const string InitContainer = "storage-initializer";
    public const string PortName = "http";
    public const string ModelVolume = "kserve-provision-location";
    public const string ModelPath = "/mnt/models";
    public const string ShmVolume = "dshm";
    public const string HomeVolume = "home";
    public const string HomePath = "/home";

    /// <summary>Not an app setting: the rhaiis image's entry point for the OpenAI-compatible server.</summary>
    internal static readonly string[] Command = ["python3", "-m", "vllm.entrypoints.openai.api_server"];

    /// <summary>
    /// The vLLM image runs under this UID. Red Hat images are built for OpenShift's arbitrary UIDs with group 0
    /// access to their files, hence the supplemental group 0 (documented exception).
    /// </summary>
    private const long VllmUser = 10001;

    private const string Exceptions =
        "main: supplementalGroups [0] because Red Hat images grant their files to group 0 (OpenShift arbitrary-UID model); " +
        "readOnlyRootFilesystem with emptyDirs for /home (HOME, XLA and HF caches), /tmp, /mnt/models and /dev/shm is " +
        "unverified on the rhaiis TPU image - if vLLM fails to start, set it to false on main only; " +
        "replicas, PodDisruptionBudget, anti-affinity and topology spread follow the TPU node pool, one slice per replica; " +
        "rolling updates use maxSurge 0 because a surge pod would wait for a free TPU slice.";

    public string Folder { get; }

    public VllmComponent(string folder) => Folder = folder;

    public ManifestFolder Build(ClusterPlan plan) => new(Folder,
    [
        new ManifestFile("deployment.yaml", Deployment(plan)),
        new ManifestFile("service.yaml", Service(plan.Pool)),
    ]);

    private static V1Deployment Deployment(ClusterPlan plan)
    {
        var pool = plan.Pool;
        var labels = ClusterLabels.Workload(pool.Name);
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = V1Deployment.KubeKind,
            Metadata = new V1ObjectMeta
            {
                Name = ClusterNames.VllmDeployment(pool.Name),
                NamespaceProperty = pool.Namespace,
                Labels = labels,
                Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { [Hardening.ExceptionsAnnotation] = Exceptions },
            },
            Spec = new V1DeploymentSpec
            {
                Replicas = pool.Replicas,
                Selector = new V1LabelSelector { MatchLabels = ClusterLabels.Workload(pool.Name) },
                Strategy = new V1DeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = 0, MaxUnavailable = 1 },
                },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = ClusterLabels.Workload(pool.Name) },
                    Spec = PodSpec(plan),
                },
            },
        };
    }

    private static V1PodSpec PodSpec(ClusterPlan plan)
    {
        var pool = plan.Pool;
        var security = Hardening.Pod(VllmUser);
        security.SupplementalGroups = [0];
        var spec = new V1PodSpec
        {
            AutomountServiceAccountToken = false,
            EnableServiceLinks = false,
            SecurityContext = security,
            ImagePullSecrets = [new V1LocalObjectReference { Name = plan.Images.PullSecret }],
            // vLLM finishes in-flight streams on SIGTERM; long generations need more than the default 30 s.
            TerminationGracePeriodSeconds = 120,
            InitContainers = [StorageInitializer(plan)],
            Containers = [MainContainerSpec(plan)],
            Volumes =
            [
                Hardening.EmptyDir(ModelVolume, "40Gi"),
                Hardening.EmptyDir(ShmVolume, "2Gi", medium: "Memory"),
                Hardening.EmptyDir(HomeVolume, "20Gi"),
                Hardening.EmptyDir(Hardening.TmpVolume, "4Gi"),
            ],
        };
        (spec.NodeSelector, spec.Tolerations) = TpuPlacement(pool);

        return spec;
    }

    private static V1Container StorageInitializer(ClusterPlan plan) => new()
    {
        Name = InitContainer,
        Image = plan.Images.StorageInitializer,
        ImagePullPolicy = "IfNotPresent",
        Args = ["hf://" + plan.Pool.Model, ModelPath],
        Env =
        [
            new V1EnvVar { Name = "HF_HOME", Value = Hardening.TmpPath + "/hf" },
            new V1EnvVar { Name = "HF_HUB_ENABLE_HF_TRANSFER", Value = "1" },
            // Only the download needs the token; optional so that public models need no Secret.
            new V1EnvVar
            {
                Name = ClusterNames.HuggingFaceSecretKey,
                ValueFrom = new V1EnvVarSource
                {
                    SecretKeyRef = new V1SecretKeySelector { Name = ClusterNames.HuggingFaceSecret, Key = ClusterNames.HuggingFaceSecretKey, Optional = true },
                },
            },
        ],
        Resources = Hardening.Resources("100m", "256Mi", "1", "1Gi"),
        SecurityContext = Hardening.Container(),
        VolumeMounts =
        [
            new V1VolumeMount { Name = ModelVolume, MountPath = ModelPath },
            new V1VolumeMount { Name = Hardening.TmpVolume, MountPath = Hardening.TmpPath },
        ],
    };

    /// <summary>vLLM's command line: the downloaded weights, the served name, the port, the app model's engine flags.</summary>
    internal static List<string> ServeArgs(VllmPoolPlan pool) =>
    [
        "--model=" + ModelPath,
        "--served-model-name=" + pool.ServedModelName,
        "--host=0.0.0.0",
        "--port=" + pool.Port.ToString(CultureInfo.InvariantCulture),
        .. pool.VllmArgs,
    ];

    /// <summary>TPU topology, writable HOME and caches, offline Hub (the weights are already in /mnt/models).</summary>
    internal static List<V1EnvVar> MainEnv(VllmPoolPlan pool)
    {
        List<V1EnvVar> env = [];
        if (pool.Tpu is { } tpu)
        {
            env.Add(new V1EnvVar { Name = "TPU_CHIPS_PER_HOST_BOUNDS", Value = tpu.ChipsPerHostBounds });
            env.Add(new V1EnvVar { Name = "TPU_HOST_BOUNDS", Value = TpuPlan.HostBounds });
            env.Add(new V1EnvVar { Name = "PJRT_DEVICE", Value = "TPU" });
        }

        env.Add(new V1EnvVar { Name = "HOME", Value = HomePath });
        env.Add(new V1EnvVar { Name = "VLLM_XLA_CACHE_PATH", Value = HomePath + "/.cache/vllm/xla_cache" });
        // The weights are already in /mnt/models: vLLM must not reach for the Hub (its egress allows only 443 anyway).
        env.Add(new V1EnvVar { Name = "HF_HUB_OFFLINE", Value = "1" });
        return env;
    }

    /// <summary>CPU and memory, and the whole TPU slice (extended resources: request must equal limit).</summary>
    internal static V1ResourceRequirements MainResources(VllmPoolPlan pool)
    {
        var resources = Hardening.Resources("8", "32Gi", "16", "64Gi");
        if (pool.Tpu is { } slice)
        {
            var chips = new ResourceQuantity(slice.Chips.ToString(CultureInfo.InvariantCulture));
            resources.Requests[ClusterLabels.TpuResource] = chips;
            resources.Limits[ClusterLabels.TpuResource] = chips;
        }

        return resources;
    }

    /// <summary>GKE's TPU node labels and the toleration of its TPU taint; null without a TPU.</summary>
    internal static (IDictionary<string, string>? NodeSelector, IList<V1Toleration>? Tolerations) TpuPlacement(VllmPoolPlan pool) =>
        pool.Tpu is { } tpu
            ? (new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                [ClusterLabels.TpuAccelerator] = tpu.Accelerator,
                [ClusterLabels.TpuTopology] = tpu.Topology,
            },
            // GKE taints TPU nodes google.com/tpu=present:NoSchedule; Exists tolerates any value of the taint.
            [new V1Toleration { Key = ClusterLabels.TpuResource, OperatorProperty = "Exists", Effect = "NoSchedule" }])
            : (null, null);

    private static V1Container MainContainerSpec(ClusterPlan plan)
    {
        var pool = plan.Pool;
        var args = ServeArgs(pool);
        var env = MainEnv(pool);
        var resources = MainResources(pool);

        var health = new V1HTTPGetAction { Path = "/health", Port = PortName, Scheme = "HTTP" };
        return new V1Container
        {
            Name = MainContainer,
            Image = plan.Images.Vllm,
            ImagePullPolicy = "IfNotPresent",
            Command = Command,
            Args = args,
            Env = env,
            Ports = [new V1ContainerPort { Name = PortName, ContainerPort = pool.Port, Protocol = "TCP" }],
            Resources = resources,
            // TPU initialisation, weight loading and XLA compilation took 7–10 minutes in the seed: the startup probe
            // allows 15 minutes before liveness takes over.
            StartupProbe = new V1Probe { HttpGet = health, PeriodSeconds = 10, TimeoutSeconds = 5, FailureThreshold = 90 },
            ReadinessProbe = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Path = "/v1/models", Port = PortName, Scheme = "HTTP" },
                PeriodSeconds = 10,
                TimeoutSeconds = 10,
                FailureThreshold = 3,
            },
            LivenessProbe = new V1Probe { HttpGet = health, PeriodSeconds = 30, TimeoutSeconds = 30, FailureThreshold = 5 },
            SecurityContext = Hardening.Container(),
            VolumeMounts =
            [
                new V1VolumeMount { Name = ModelVolume, MountPath = ModelPath, ReadOnlyProperty = true },
                new V1VolumeMount { Name = ShmVolume, MountPath = "/dev/shm" },
                new V1VolumeMount { Name = HomeVolume, MountPath = HomePath },
                new V1VolumeMount { Name = Hardening.TmpVolume, MountPath = Hardening.TmpPath },
            ],
        };
    }

    private static V1Service Service(VllmPoolPlan pool) => new()
    {
        ApiVersion = V1Service.KubeApiVersion,
        Kind = V1Service.KubeKind,
        Metadata = new V1ObjectMeta
        {
            Name = ClusterNames.VllmService(pool.Name),
            NamespaceProperty = pool.Namespace,
            Labels = ClusterLabels.Workload(pool.Name),
        },
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            Selector = ClusterLabels.WorkloadSelector(pool.Name),
            Ports = [new V1ServicePort { Name = PortName, Port = pool.Port, TargetPort = PortName, Protocol = "TCP", AppProtocol = "http" }],
        },
    };
}
