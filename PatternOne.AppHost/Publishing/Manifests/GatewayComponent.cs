using System.Globalization;
using k8s.Models;
using PatternOne.AppHost.Publishing.Plan;
using PatternOne.Gateway;

namespace PatternOne.AppHost.Publishing.Manifests;

/// <summary>
/// The inference gateway (PatternOne.Gateway) in place of the seed's Istio gateway: Deployment and LoadBalancer
/// Service <c>inference-gateway-istio</c> (80 → 8080, 443 → 8443, 15021), TLS from cert-manager's Secret, and the
/// route/pool configuration of the system contract as environment variables.
/// <code>
///  LB :443 ─▶ :8443 TLS ─▶ route prefix ─ext_proc h2c─▶ &lt;pool&gt;-epp-service:9002
///                                      └─HTTP──────▶ picked pod ip:8000 (or &lt;pool&gt;-kserve-workload-svc:8000, FailOpen)
/// </code>
/// </summary>
internal sealed class GatewayComponent : IManifestComponent
{
    public const string FolderName = "gateway";
    public const string ContainerName = "gateway";
    public const string TlsVolume = "tls";
    public const string TlsDirectory = "/etc/patternone/tls";

    public string Folder => FolderName;

    public ManifestFolder Build(ClusterPlan plan) => new(Folder,
    [
        new ManifestFile("configmap-env.yaml", EnvConfigMap(plan)),
        new ManifestFile("deployment.yaml", Deployment(plan)),
        new ManifestFile("service.yaml", Service(plan)),
    ]);

    private static V1ObjectMeta Meta(ClusterPlan plan, string name) => new()
    {
        Name = name,
        NamespaceProperty = plan.Gateway.Namespace,
        Labels = ClusterLabels.Gateway(),
    };

    /// <summary>In-cluster DNS name of a Service, the form the gateway dials.</summary>
    private static string ServiceHost(string service, string ns) => $"{service}.{ns}.svc";

    private static V1ConfigMap EnvConfigMap(ClusterPlan plan)
    {
        var g = plan.Gateway;
        var pool = plan.Pool;
        var settings = new GatewaySettings
        {
            HttpPort = g.HttpPort,
            HttpsPort = g.HttpsPort,
            StatusPort = g.StatusPort,
            MetricsPort = g.MetricsPort,
            TlsCertificatePath = TlsDirectory + "/tls.crt",
            TlsKeyPath = TlsDirectory + "/tls.key",
            // Written out so the knob is visible: by default the internet gets vLLM's OpenAI API and /health, never
            // /metrics, /tokenize, /load … (the seed's KServe route passed the whole prefix to the workload Service);
            // publish parameter expose-operational-endpoints.
            Routes = [new GatewayRouteSettings(g.RoutePrefix, pool.Name) { ExposeOperationalEndpoints = plan.ExposeOperationalEndpoints }],
            Pools =
            [
                new GatewayPoolSettings(pool.Name)
                {
                    // ext_proc is gRPC over cleartext HTTP/2 (h2c) inside the cluster.
                    EndpointPicker = $"http://{ServiceHost(ClusterNames.SchedulerService(pool.Name), pool.Namespace)}:{Str(plan.Scheduler.ExtProcPort)}",
                    // The gateway's own view of the pool (FailOpen, body-less calls): the workload Service.
                    Endpoints = [$"{ServiceHost(ClusterNames.VllmService(pool.Name), pool.Namespace)}:{Str(pool.Port)}"],
                    FailureMode = Enum.Parse<FailureMode>(g.FailureMode),
                },
            ],
        };
        return DotnetServiceEnvironment.ConfigMap(Meta(plan, ClusterNames.EnvConfigMap(ClusterNames.GatewayWorkload)), settings.ToEnvironment(), g.ResourceName);
    }

    /// <summary>The gateway's 30 s drain, plus 15 s for the error events, the telemetry flush and the host's stop margin.</summary>
    public static readonly int GracePeriodSeconds = (int)(GatewayOptions.DefaultDrainTimeout + TimeSpan.FromSeconds(15)).TotalSeconds;

    private static V1Deployment Deployment(ClusterPlan plan)
    {
        var g = plan.Gateway;
        var container = new V1Container
        {
            Name = ContainerName,
            Image = plan.Images.Gateway,
            ImagePullPolicy = "IfNotPresent",
            EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = ClusterNames.EnvConfigMap(ClusterNames.GatewayWorkload) } }],
            Ports =
            [
                new V1ContainerPort { Name = "http", ContainerPort = g.HttpPort, Protocol = "TCP" },
                new V1ContainerPort { Name = "https", ContainerPort = g.HttpsPort, Protocol = "TCP" },
                new V1ContainerPort { Name = "status-port", ContainerPort = g.StatusPort, Protocol = "TCP" },
                new V1ContainerPort { Name = "http-envoy-prom", ContainerPort = g.MetricsPort, Protocol = "TCP" },
            ],
            Resources = Hardening.Resources("250m", "256Mi", "2", ContainerMemoryLimits.Gateway),
            ReadinessProbe = new V1Probe
            {
                HttpGet = new V1HTTPGetAction { Path = "/healthz/ready", Port = "status-port", Scheme = "HTTP" },
                PeriodSeconds = 5,
                TimeoutSeconds = 2,
                FailureThreshold = 3,
            },
            // Liveness asks only whether the listener accepts connections: readiness already covers the picker.
            LivenessProbe = new V1Probe
            {
                TcpSocket = new V1TCPSocketAction { Port = "http" },
                InitialDelaySeconds = 5,
                PeriodSeconds = 10,
                TimeoutSeconds = 2,
                FailureThreshold = 3,
            },
            SecurityContext = Hardening.Container(),
            VolumeMounts =
            [
                new V1VolumeMount { Name = TlsVolume, MountPath = TlsDirectory, ReadOnlyProperty = true },
                new V1VolumeMount { Name = Hardening.TmpVolume, MountPath = Hardening.TmpPath },
            ],
        };
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = V1Deployment.KubeKind,
            Metadata = Meta(plan, ClusterNames.GatewayWorkload),
            Spec = new V1DeploymentSpec
            {
                Replicas = g.Replicas,
                Selector = new V1LabelSelector { MatchLabels = ClusterLabels.Gateway() },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = ClusterLabels.Gateway() },
                    Spec = new V1PodSpec
                    {
                        // SIGTERM: the gateway's drain (Gateway:DrainTimeout, 30 s) ends open streams with an error
                        // event, then exits; the kubelet must not kill it first (Kubernetes' default grace is 30 s).
                        TerminationGracePeriodSeconds = GracePeriodSeconds,
                        AutomountServiceAccountToken = false,
                        EnableServiceLinks = false,
                        SecurityContext = Hardening.Pod(Hardening.DotnetUser),
                        ImagePullSecrets = [new V1LocalObjectReference { Name = plan.Images.PullSecret }],
                        Containers = [container],
                        Volumes =
                        [
                            // 0440: readable by the pod's fsGroup only. cert-manager renews the Secret in place; the
                            // kubelet refreshes the files.
                            new V1Volume { Name = TlsVolume, Secret = new V1SecretVolumeSource { SecretName = ClusterNames.GatewayTlsSecret, DefaultMode = 288 } },
                            Hardening.EmptyDir(Hardening.TmpVolume, "256Mi"),
                        ],
                    },
                },
            },
        };
    }

    private static V1Service Service(ClusterPlan plan) => new()
    {
        ApiVersion = V1Service.KubeApiVersion,
        Kind = V1Service.KubeKind,
        Metadata = Meta(plan, ClusterNames.GatewayWorkload),
        Spec = new V1ServiceSpec
        {
            Type = "LoadBalancer",
            // Keep the client's address: the gateway's NetworkPolicy admits public sources only, and with "Cluster"
            // the load balancer's traffic would arrive from node addresses instead.
            ExternalTrafficPolicy = "Local",
            Selector = ClusterLabels.Gateway(),
            // The seed's ports: 15021 status, 80 HTTP, 443 HTTPS.
            Ports =
            [
                new V1ServicePort { Name = "status-port", Port = plan.Gateway.StatusPort, TargetPort = "status-port", Protocol = "TCP" },
                new V1ServicePort { Name = "http", Port = ClusterPorts.GatewayServiceHttp, TargetPort = "http", Protocol = "TCP", AppProtocol = "http" },
                new V1ServicePort { Name = "https", Port = ClusterPorts.GatewayServiceHttps, TargetPort = "https", Protocol = "TCP", AppProtocol = "https" },
            ],
        },
    };

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
