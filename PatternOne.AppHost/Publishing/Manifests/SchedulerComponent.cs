using k8s.Models;
using PatternOne.AppHost.Publishing.Manifests.Topologies;
using PatternOne.AppHost.Publishing.Plan;
using PatternOne.Scheduler;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The endpoint picker (PatternOne.Scheduler) as KServe deploys its EPP: Deployment
/// <c>&lt;pool&gt;-kserve-router-scheduler</c>, Service <c>&lt;pool&gt;-epp-service</c> (9002 ext_proc, 9003 gRPC health,
/// 9090 metrics), a ServiceAccount whose Role can only get/list/watch pods in the pool's namespace, its profile and
/// its configuration as ConfigMaps.
/// </summary>
internal sealed class SchedulerComponent : IManifestComponent
{
    public const string FolderName = "scheduler";
    public const string ContainerName = "scheduler";
    public const string ExtProcPortName = "grpc";
    public const string HealthPortName = "grpc-health";
    public const string MetricsPortName = "metrics";
    public const string ConfigVolume = "config";
    public const string ConfigDirectory = "/etc/patternone/scheduler";
    public const string ProfileFile = "endpoint-picker.yaml";

    /// <summary>Upstream's default drain (30 s) plus time to close the listeners.</summary>
    public const int GracePeriodSeconds = 45;

    private readonly PublishTopology _topology;

    public SchedulerComponent(PublishTopology topology = PublishTopology.Standalone) => _topology = topology;

    public string Folder => FolderName;

    public ManifestFolder Build(ClusterPlan plan) => _topology switch
    {
        PublishTopology.Istio => BuildEndpointPicker(plan),
        // KServe creates the scheduler's Deployment, Service and RBAC; we add the profile its template mounts.
        PublishTopology.KServe => new ManifestFolder(Folder, [new ManifestFile("configmap-profile.yaml", ProfileConfigMap(plan))]),
        _ => BuildStandalone(plan),
    };

    private ManifestFolder BuildStandalone(ClusterPlan plan) => new(Folder,
        [
            .. Identity(plan.Pool, Role(plan.Pool, StandaloneRules())),
            new ManifestFile("configmap-env.yaml", EnvConfigMap(plan)),
            new ManifestFile("configmap-profile.yaml", ProfileConfigMap(plan)),
            new ManifestFile("deployment.yaml", Deployment(plan)),
            new ManifestFile("service.yaml", Service(plan)),
        ]);

    /// <summary>
    /// The Istio topology: our scheduler as the InferencePool's endpoint picker, started with upstream's EPP flags;
    /// it reads the pool (selector, target port) from the API, serves ext_proc over TLS, and Istio's gateway reaches
    /// it through the DestinationRule.
    /// </summary>
    private ManifestFolder BuildEndpointPicker(ClusterPlan plan) => new(Folder,
        [
            .. Identity(plan.Pool, Role(plan.Pool, EndpointPickerRules(plan.PoolApi))),
            new ManifestFile("configmap-profile.yaml", ProfileConfigMap(plan)),
            new ManifestFile("deployment.yaml", EndpointPickerDeployment(plan)),
            new ManifestFile("service.yaml", Service(plan, extProcAppProtocol: "http2")),
            new ManifestFile("destinationrule.yaml", EndpointPickerDestinationRule(plan)),
        ]);

    /// <summary>The scheduler's ServiceAccount, what it may read (<paramref name="role"/>) and the binding between them.</summary>
    private static IEnumerable<ManifestFile> Identity(VllmPoolPlan pool, V1Role role) =>
    [
        new ManifestFile("serviceaccount.yaml", ServiceAccount(pool)),
        new ManifestFile("role.yaml", role),
        new ManifestFile("rolebinding.yaml", RoleBinding(pool)),
    ];

    /// <summary>
    /// What the endpoint picker reads, and nothing more: its pool's pods, the InferencePool object (in the API group
    /// it was started with) and InferenceObjectives (request priorities).
    /// </summary>
    internal static IReadOnlyList<V1PolicyRule> EndpointPickerRules(InferencePoolApi api) =>
    [
        new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list", "watch"] },
        new V1PolicyRule { ApiGroups = [EndpointPickerArgs.PoolGroupOf(api)], Resources = ["inferencepools"], Verbs = ["get", "list", "watch"] },
        new V1PolicyRule { ApiGroups = [InferenceObjectiveGroup], Resources = ["inferenceobjectives"], Verbs = ["get", "list", "watch"] },
    ];

    /// <summary>The InferenceObjective API group llm-d's scheduler watches (<c>llm-d.ai/v1alpha2</c>).</summary>
    public const string InferenceObjectiveGroup = "llm-d.ai";

    private static IstioDestinationRule EndpointPickerDestinationRule(ClusterPlan plan) => new()
    {
        Metadata = Meta(plan.Pool, ClusterNames.SchedulerDestinationRule(plan.Pool.Name)),
        Spec = new DestinationRuleSpec
        {
            Host = $"{ClusterNames.SchedulerService(plan.Pool.Name)}.{plan.Pool.Namespace}.svc.cluster.local",
            // The EPP serves a self-signed certificate (upstream's --secure-serving default); Envoy must originate
            // TLS and cannot verify it (GIE config/manifests/gateway/istio/destination-rule.yaml).
            TrafficPolicy = new TrafficPolicy { Tls = new ClientTlsSettings { Mode = "SIMPLE", InsecureSkipVerify = true } },
        },
    };

    private static V1Deployment EndpointPickerDeployment(ClusterPlan plan)
    {
        var deployment = Deployment(plan);
        var spec = deployment.Spec.Template.Spec;
        var container = spec.Containers.Single();
        var s = plan.Scheduler;
        container.EnvFrom = null;
        container.Env = [.. DotnetServiceEnvironment.Common(s.ResourceName).Select(v => new V1EnvVar { Name = v.Key, Value = v.Value })];
        container.Args = [.. EndpointPickerArgs.Istio(plan, ConfigDirectory + "/" + ProfileFile)];
        container.ReadinessProbe.Grpc.Service = SchedulerHealthServices.Readiness;
        container.VolumeMounts =
        [
            new V1VolumeMount { Name = ConfigVolume, MountPath = ConfigDirectory + "/" + ProfileFile, SubPath = ProfileFile, ReadOnlyProperty = true },
            new V1VolumeMount { Name = Hardening.TmpVolume, MountPath = Hardening.TmpPath },
        ];
        deployment.Metadata.Annotations[Hardening.ExceptionsAnnotation] =
            "automountServiceAccountToken true: the endpoint picker reads its InferencePool and watches the pool's pods " +
            "(Role: get/list/watch pods, inferencepools, inferenceobjectives); " +
            "one replica: the prefix-cache index is in memory, a second replica would split it.";
        return deployment;
    }

    private static V1ObjectMeta Meta(VllmPoolPlan pool, string name) => new()
    {
        Name = name,
        NamespaceProperty = pool.Namespace,
        Labels = ClusterLabels.Scheduler(pool.Name),
    };

    private static V1ServiceAccount ServiceAccount(VllmPoolPlan pool) => new()
    {
        ApiVersion = V1ServiceAccount.KubeApiVersion,
        Kind = V1ServiceAccount.KubeKind,
        Metadata = Meta(pool, ClusterNames.SchedulerServiceAccount(pool.Name)),
    };

    /// <summary>
    /// What the standalone scheduler reads: discovery watches Ready pods matching the pool selector, and the pool's
    /// InferenceObjectives (their priorities decide which requests may be shed); nothing else is needed.
    /// </summary>
    private static IReadOnlyList<V1PolicyRule> StandaloneRules() =>
    [
        new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list", "watch"] },
        new V1PolicyRule { ApiGroups = [InferenceObjectiveGroup], Resources = ["inferenceobjectives"], Verbs = ["get", "list", "watch"] },
    ];

    private static V1Role Role(VllmPoolPlan pool, IReadOnlyList<V1PolicyRule> rules) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = V1Role.KubeKind,
        Metadata = Meta(pool, ClusterNames.SchedulerRole(pool.Name)),
        Rules = [.. rules],
    };

    private static V1RoleBinding RoleBinding(VllmPoolPlan pool) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = V1RoleBinding.KubeKind,
        Metadata = Meta(pool, ClusterNames.SchedulerRoleBinding(pool.Name)),
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = V1Role.KubeKind, Name = ClusterNames.SchedulerRole(pool.Name) },
        Subjects = [new Rbacv1Subject { Kind = V1ServiceAccount.KubeKind, Name = ClusterNames.SchedulerServiceAccount(pool.Name), NamespaceProperty = pool.Namespace }],
    };

    /// <summary>
    /// What upstream has no flag for, as environment variables: the pool's name (discovery is by selector, the name
    /// labels metrics and logs) and the process environment. Everything else is the container's flags.
    /// </summary>
    private static V1ConfigMap EnvConfigMap(ClusterPlan plan)
    {
        var settings = new SchedulerSettings { PoolName = plan.Pool.Name };
        return DotnetServiceEnvironment.ConfigMap(
            Meta(plan.Pool, ClusterNames.EnvConfigMap(ClusterNames.SchedulerDeployment(plan.Pool.Name))), settings.ToEnvironment(), plan.Scheduler.ResourceName);
    }

    /// <summary>The profile (EndpointPickerConfig) the scheduler is started with (<c>--config-file</c>).</summary>
    private static V1ConfigMap ProfileConfigMap(ClusterPlan plan)
    {
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal) { [ProfileFile] = SchedulerProfile.DefaultYaml };

        return new V1ConfigMap
        {
            ApiVersion = V1ConfigMap.KubeApiVersion,
            Kind = V1ConfigMap.KubeKind,
            Metadata = Meta(plan.Pool, ClusterNames.SchedulerProfile(plan.Pool.Name)),
            Data = data,
        };
    }

    private static V1Deployment Deployment(ClusterPlan plan)
    {
        var pool = plan.Pool;
        var s = plan.Scheduler;
        var name = ClusterNames.SchedulerDeployment(pool.Name);
        var container = new V1Container
        {
            Name = ContainerName,
            Image = plan.Images.Scheduler,
            ImagePullPolicy = "IfNotPresent",
            EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = ClusterNames.EnvConfigMap(name) } }],
            // Upstream's standalone mode: the pool's pods by label selector, no InferencePool object.
            Args = [.. EndpointPickerArgs.Standalone(plan, ConfigDirectory + "/" + ProfileFile)],
            Ports =
            [
                new V1ContainerPort { Name = ExtProcPortName, ContainerPort = s.ExtProcPort, Protocol = "TCP" },
                new V1ContainerPort { Name = HealthPortName, ContainerPort = s.HealthPort, Protocol = "TCP" },
                new V1ContainerPort { Name = MetricsPortName, ContainerPort = s.MetricsPort, Protocol = "TCP" },
            ],
            // The seed's EPP resources.
            Resources = Hardening.Resources("100m", "128Mi", "500m", ContainerMemoryLimits.Scheduler),
            ReadinessProbe = new V1Probe
            {
                // The ext_proc service's health includes pool discovery (upstream EPP's convention).
                Grpc = new V1GRPCAction { Port = s.HealthPort, Service = SchedulerHealthServices.ExtProc },
                PeriodSeconds = 5,
                TimeoutSeconds = 2,
                FailureThreshold = 3,
            },
            LivenessProbe = new V1Probe
            {
                // "liveness" reports only the process, not pool discovery: a slow API server must not restart us.
                Grpc = new V1GRPCAction { Port = s.HealthPort, Service = SchedulerHealthServices.Liveness },
                InitialDelaySeconds = 10,
                PeriodSeconds = 10,
                TimeoutSeconds = 2,
                FailureThreshold = 3,
            },
            SecurityContext = Hardening.Container(),
            VolumeMounts =
            [
                new V1VolumeMount { Name = ConfigVolume, MountPath = ConfigDirectory + "/" + ProfileFile, SubPath = ProfileFile, ReadOnlyProperty = true },
                new V1VolumeMount { Name = Hardening.TmpVolume, MountPath = Hardening.TmpPath },
            ],
        };
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = V1Deployment.KubeKind,
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = pool.Namespace,
                Labels = ClusterLabels.Scheduler(pool.Name),
                Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
                {
                    [Hardening.ExceptionsAnnotation] =
                        "automountServiceAccountToken true: the scheduler watches pods through the API (Role: get/list/watch pods); " +
                        "one replica: the prefix-cache index is in memory, a second replica would split it.",
                },
            },
            Spec = new V1DeploymentSpec
            {
                Replicas = s.Replicas,
                Selector = new V1LabelSelector { MatchLabels = ClusterLabels.Scheduler(pool.Name) },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = ClusterLabels.Scheduler(pool.Name) },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = ClusterNames.SchedulerServiceAccount(pool.Name),
                        // Upstream's drain on SIGTERM (--drain-timeout, 30 s): readiness goes NOT_SERVING while
                        // ext_proc keeps serving; the kubelet must not kill the pod before the drain ends.
                        TerminationGracePeriodSeconds = GracePeriodSeconds,
                        AutomountServiceAccountToken = true,
                        EnableServiceLinks = false,
                        SecurityContext = Hardening.Pod(Hardening.DotnetUser),
                        ImagePullSecrets = [new V1LocalObjectReference { Name = plan.Images.PullSecret }],
                        Containers = [container],
                        Volumes =
                        [
                            new V1Volume { Name = ConfigVolume, ConfigMap = new V1ConfigMapVolumeSource { Name = ClusterNames.SchedulerProfile(pool.Name) } },
                            Hardening.EmptyDir(Hardening.TmpVolume, "256Mi"),
                        ],
                    },
                },
            },
        };
    }

    private static V1Service Service(ClusterPlan plan, string extProcAppProtocol = "kubernetes.io/h2c")
    {
        var s = plan.Scheduler;
        return new V1Service
        {
            ApiVersion = V1Service.KubeApiVersion,
            Kind = V1Service.KubeKind,
            Metadata = Meta(plan.Pool, ClusterNames.SchedulerService(plan.Pool.Name)),
            Spec = new V1ServiceSpec
            {
                Type = "ClusterIP",
                Selector = ClusterLabels.Scheduler(plan.Pool.Name),
                Ports =
                [
                    // ext_proc is gRPC: cleartext HTTP/2 standalone, HTTP/2 over TLS as an endpoint picker.
                    new V1ServicePort { Name = ExtProcPortName, Port = s.ExtProcPort, TargetPort = ExtProcPortName, Protocol = "TCP", AppProtocol = extProcAppProtocol },
                    new V1ServicePort { Name = HealthPortName, Port = s.HealthPort, TargetPort = HealthPortName, Protocol = "TCP", AppProtocol = "kubernetes.io/h2c" },
                    new V1ServicePort { Name = MetricsPortName, Port = s.MetricsPort, TargetPort = MetricsPortName, Protocol = "TCP", AppProtocol = "http" },
                ],
            },
        };
    }
}
