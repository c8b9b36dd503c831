using System.Net;
using PatternOne.AppHost.Gateway;
using PatternOne.AppHost.Inference;
using PatternOne.AppHost.Scheduling;

namespace PatternOne.AppHost.Publishing.Plan;

/// <summary>
/// Reads the <see cref="ClusterPlan"/> from the app model — the pool resource, the projects marked as endpoint picker
/// and inference gateway, their endpoints' target ports — and from the publish parameters. The app model is the only
/// source of truth: nothing here restates a model, a replica count or a topology.
/// </summary>
public static class ClusterPlanReader
{
    public static async Task<ClusterPlan> ReadAsync(DistributedApplicationModel model, CancellationToken cancellationToken)
    {
        var pools = model.Resources.OfType<VllmPoolResource>().ToList();
        if (pools.Count != 1)
        {
            throw new InvalidOperationException(
                $"The Kubernetes publisher writes exactly one vLLM pool; the app model has {pools.Count}.");
        }

        var pool = pools[0];
        var scheduler = model.Resources.OfType<ProjectResource>()
            .SingleOrDefault(r => r.Annotations.OfType<EndpointPickerAnnotation>().Any(a => a.Pool == pool))
            ?? throw new InvalidOperationException($"No project is the endpoint picker of pool '{pool.Name}' (AsEndpointPicker).");
        var gateway = model.Resources.OfType<ProjectResource>()
            .SingleOrDefault(r => r.Annotations.OfType<InferenceRouteAnnotation>().Any(a => a.Pool == pool))
            ?? throw new InvalidOperationException($"No gateway routes to pool '{pool.Name}' (WithInferenceRoute).");
        var route = gateway.Annotations.OfType<InferenceRouteAnnotation>().First(a => a.Pool == pool);
        var certificate = gateway.Annotations.OfType<GatewayCertificateAnnotation>().LastOrDefault()?.Certificate
            ?? throw new InvalidOperationException($"Gateway '{gateway.Name}' has no TLS certificate (WithTlsCertificate).");

        var parameters = new ParameterValues(model);
        // Locally the certificate covers localhost and loopback; in a cluster the published names replace them.
        var dnsNames = Distinct(
            SplitList(await parameters.GetAsync(PublishParameters.GatewayTlsDnsNames, cancellationToken))
                .Concat(certificate.DnsNames.Where(n => n != "localhost")));
        var ipAddresses = Distinct(
            SplitList(await parameters.GetAsync(PublishParameters.GatewayTlsIpAddresses, cancellationToken)).Select(ValidateIp)
                .Concat(certificate.IpAddresses.Where(a => !IPAddress.IsLoopback(a)).Select(a => a.ToString())));
        if (dnsNames.Count == 0 && ipAddresses.Count == 0)
        {
            throw new InvalidOperationException(
                $"Certificate '{certificate.Name}' would cover no name: set Parameters:{PublishParameters.GatewayTlsDnsNames} " +
                $"or Parameters:{PublishParameters.GatewayTlsIpAddresses}.");
        }

        var tpu = pool.Tpu is { } t ? ReadTpu(t) : null;

        return new ClusterPlan
        {
            Pool = new VllmPoolPlan
            {
                Name = pool.Name,
                Namespace = pool.Namespace,
                Model = pool.Model,
                ServedModelName = pool.ServedModelName,
                Replicas = pool.Replicas,
                Port = pool.TargetPort,
                Tpu = tpu,
                VllmArgs = [.. pool.VllmArgs],
            },
            Scheduler = new SchedulerPlan
            {
                ResourceName = scheduler.Name,
                Replicas = scheduler.GetReplicaCount(),
                ExtProcPort = TargetPort(scheduler, SchedulerBuilderExtensions.ExtProcEndpointName, SchedulerBuilderExtensions.ExtProcPort),
                HealthPort = TargetPort(scheduler, SchedulerBuilderExtensions.HealthEndpointName, SchedulerBuilderExtensions.HealthPort),
                MetricsPort = TargetPort(scheduler, SchedulerBuilderExtensions.MetricsEndpointName, SchedulerBuilderExtensions.MetricsPort),
            },
            Gateway = new GatewayPlan
            {
                ResourceName = gateway.Name,
                Namespace = certificate.Namespace,
                Replicas = gateway.GetReplicaCount(),
                HttpPort = TargetPort(gateway, GatewayBuilderExtensions.HttpEndpointName, GatewayBuilderExtensions.HttpPort),
                HttpsPort = TargetPort(gateway, GatewayBuilderExtensions.HttpsEndpointName, GatewayBuilderExtensions.HttpsPort),
                StatusPort = TargetPort(gateway, GatewayBuilderExtensions.StatusEndpointName, GatewayBuilderExtensions.StatusPort),
                MetricsPort = TargetPort(gateway, GatewayBuilderExtensions.MetricsEndpointName, GatewayBuilderExtensions.MetricsPort),
                RoutePrefix = route.PathPrefix,
                FailureMode = ReadFailureMode(route.FailureMode),
                CertificateName = certificate.Name,
                TlsDnsNames = dnsNames,
                TlsIpAddresses = ipAddresses,
            },
            Images = new ImagePlan
            {
                Vllm = VllmImageRepository + ":" + await parameters.GetAsync(PublishParameters.VllmImageTag, cancellationToken),
                StorageInitializer = await parameters.GetAsync(PublishParameters.StorageInitializerImage, cancellationToken),
                Gateway = await parameters.GetAsync(PublishParameters.GatewayImage, cancellationToken) + ":" +
                    await parameters.GetAsync(PublishParameters.ImageTag, cancellationToken),
                Scheduler = await parameters.GetAsync(PublishParameters.SchedulerImage, cancellationToken) + ":" +
                    await parameters.GetAsync(PublishParameters.ImageTag, cancellationToken),
                PullSecret = await parameters.GetAsync(PublishParameters.ImagePullSecret, cancellationToken),
            },
            KubeApiServerCidr = ValidateCidr(await parameters.GetAsync(PublishParameters.KubeApiServerCidr, cancellationToken)),
            Topology = PublishTopologyNames.ParseTopology(await parameters.GetAsync(PublishParameters.Topology, cancellationToken)),
            PoolApi = PublishTopologyNames.ParsePoolApi(await parameters.GetAsync(PublishParameters.InferencePoolApi, cancellationToken)),
            IstioNamespace = await parameters.GetAsync(PublishParameters.IstioNamespace, cancellationToken),
            ExposeOperationalEndpoints = ParseBool(PublishParameters.ExposeOperationalEndpoints, await parameters.GetAsync(PublishParameters.ExposeOperationalEndpoints, cancellationToken)),
            GmpNamespace = ValidateNamespace(PublishParameters.GmpNamespace, await parameters.GetAsync(PublishParameters.GmpNamespace, cancellationToken)),
        };
    }

    /// <summary>The seed's vLLM image for TPU; its tag is the publish parameter <c>vllm-image-tag</c>.</summary>
    public const string VllmImageRepository = "registry.redhat.io/rhaiis/vllm-tpu-rhel9";

    private static TpuPlan ReadTpu(TpuAccelerator tpu)
    {
        if (tpu.Chips > TpuPlan.MaxChipsPerHost)
        {
            throw new InvalidOperationException(
                $"TPU topology '{tpu.Topology}' spans {tpu.Chips} chips, more than one host ({TpuPlan.MaxChipsPerHost}); " +
                "multi-host slices need a LeaderWorkerSet, which the Kubernetes publisher does not write.");
        }

        return new TpuPlan(tpu.AcceleratorType, tpu.Topology, tpu.Chips, tpu.ChipsPerHostBounds);
    }

    private static string ReadFailureMode(string mode) => mode is "FailOpen" or "FailClose"
        ? mode
        : throw new InvalidOperationException($"Failure mode '{mode}' is neither FailOpen nor FailClose.");

    /// <summary>The endpoint's target port (the container port in a cluster); the contract's default if unset.</summary>
    private static int TargetPort(IResource resource, string endpointName, int fallback) =>
        resource.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == endpointName)?.TargetPort ?? fallback;

    /// <summary>A comma-separated list; <c>none</c> is the empty list (an empty parameter means "the default").</summary>
    private static IEnumerable<string> SplitList(string value) => value == PublishParameters.None
        ? []
        : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static List<string> Distinct(IEnumerable<string> values) => [.. values.Distinct(StringComparer.Ordinal)];

    private static string ValidateIp(string value) => IPAddress.TryParse(value, out var ip)
        ? ip.ToString()
        : throw new InvalidOperationException($"Parameter '{PublishParameters.GatewayTlsIpAddresses}': '{value}' is not an IP address.");

    private static string ValidateCidr(string value) => IPNetwork.TryParse(value, out _)
        ? value
        : throw new InvalidOperationException($"Parameter '{PublishParameters.KubeApiServerCidr}': '{value}' is not a CIDR (e.g. 172.16.0.2/32).");

    private static bool ParseBool(string parameter, string value) => value.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new InvalidOperationException($"Parameter '{parameter}': '{value}' is not true or false."),
    };

    /// <summary>A namespace name is a DNS label (RFC 1123): lower-case alphanumerics and '-', at most 63 characters.</summary>
    private static string ValidateNamespace(string parameter, string value) =>
        value.Length <= 63 && System.Text.RegularExpressions.Regex.IsMatch(value, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
            ? value
            : throw new InvalidOperationException($"Parameter '{parameter}': '{value}' is not a namespace name (e.g. gmp-system).");

    /// <summary>Values of the publish parameters declared by <see cref="KubernetesPublisherExtensions.AddKubernetesPublisher"/>.</summary>
    private sealed class ParameterValues(DistributedApplicationModel model)
    {
        public async Task<string> GetAsync(string name, CancellationToken cancellationToken)
        {
            var parameter = model.Resources.OfType<ParameterResource>().SingleOrDefault(p => p.Name == name)
                ?? throw new InvalidOperationException(
                    $"Publish parameter '{name}' is not in the app model; call builder.AddKubernetesPublisher().");
            var value = await parameter.GetValueAsync(cancellationToken);
            return string.IsNullOrWhiteSpace(value)
                ? throw new InvalidOperationException($"Publish parameter '{name}' has no value (set Parameters:{name}).")
                : value.Trim();
        }
    }
}
