namespace PatternOne.AppHost.Publishing.Plan;

/// <summary>
/// Everything the manifests are made of, read once from the app model and the publish parameters
/// (<see cref="ClusterPlanReader"/>). The manifest builders see only this snapshot, never the app model.
/// </summary>
public sealed record ClusterPlan
{
    public required VllmPoolPlan Pool { get; init; }
    public required SchedulerPlan Scheduler { get; init; }
    public required GatewayPlan Gateway { get; init; }
    public required ImagePlan Images { get; init; }

    /// <summary>CIDR the scheduler may reach on 443 to watch pods.</summary>
    public required string KubeApiServerCidr { get; init; }

    /// <summary>Which cluster the manifests are for; <see cref="PublishTopology.Standalone"/> by default.</summary>
    public PublishTopology Topology { get; init; } = PublishTopology.Standalone;

    /// <summary>The InferencePool API of the <see cref="PublishTopology.Istio"/> topology.</summary>
    public InferencePoolApi PoolApi { get; init; } = InferencePoolApi.V1;

    /// <summary>Namespace of istiod (Istio topologies).</summary>
    public string IstioNamespace { get; init; } = "istio-system";

    /// <summary>
    /// Whether the public prefix reaches vLLM's operational endpoints too; by default only its OpenAI API and
    /// <c>/health</c> (the same rule as our gateway's public surface, in every topology).
    /// </summary>
    public bool ExposeOperationalEndpoints { get; init; }

    /// <summary>Namespace of GKE Managed Prometheus' collectors, the only pods admitted to the metrics ports.</summary>
    public string GmpNamespace { get; init; } = "gmp-system";
}

/// <summary>The vLLM pool: model, replicas and the TPU slice each replica needs.</summary>
public sealed record VllmPoolPlan
{
    /// <summary>Pool (and LLMInferenceService) name, e.g. <c>qwen2-3b-pattern1</c>.</summary>
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary>Hugging Face model id, downloaded from <c>hf://</c>.</summary>
    public required string Model { get; init; }

    /// <summary>vLLM's <c>--served-model-name</c>.</summary>
    public required string ServedModelName { get; init; }

    public required int Replicas { get; init; }

    public required int Port { get; init; }

    /// <summary>The TPU slice of every replica; null for a CPU/GPU-less pool (published without accelerator).</summary>
    public required TpuPlan? Tpu { get; init; }

    /// <summary>vLLM engine flags (model, host and port are added by the publisher).</summary>
    public required IReadOnlyList<string> VllmArgs { get; init; }
}

/// <param name="Accelerator">GKE accelerator label value, e.g. <c>tpu-v6e-slice</c>.</param>
/// <param name="Topology">GKE topology label value, e.g. <c>2x2</c>.</param>
/// <param name="Chips"><c>google.com/tpu</c> chips per replica (request = limit).</param>
/// <param name="ChipsPerHostBounds"><c>TPU_CHIPS_PER_HOST_BOUNDS</c>, e.g. <c>2,2,1</c>.</param>
public sealed record TpuPlan(string Accelerator, string Topology, int Chips, string ChipsPerHostBounds)
{
    /// <summary>Chips of one v6e host (ct6e-standard-8t); a Deployment pod is one host.</summary>
    public const int MaxChipsPerHost = 8;

    /// <summary><c>TPU_HOST_BOUNDS</c>: a Deployment pod is a single host.</summary>
    public const string HostBounds = "1,1,1";
}

public sealed record SchedulerPlan
{
    /// <summary>The app model's resource name (<c>scheduler</c>), also its OTEL service name.</summary>
    public required string ResourceName { get; init; }

    public required int Replicas { get; init; }
    public required int ExtProcPort { get; init; }
    public required int HealthPort { get; init; }
    public required int MetricsPort { get; init; }
}

public sealed record GatewayPlan
{
    /// <summary>The app model's resource name (<c>gateway</c>), also its OTEL service name.</summary>
    public required string ResourceName { get; init; }

    public required string Namespace { get; init; }
    public required int Replicas { get; init; }
    public required int HttpPort { get; init; }
    public required int HttpsPort { get; init; }
    public required int StatusPort { get; init; }
    public required int MetricsPort { get; init; }

    /// <summary>Path prefix routed to the pool, e.g. <c>/llm-d-inference-scheduling/qwen2-3b-pattern1/</c>.</summary>
    public required string RoutePrefix { get; init; }

    /// <summary><c>FailOpen</c> or <c>FailClose</c>: what the gateway does when the scheduler does not answer.</summary>
    public required string FailureMode { get; init; }

    /// <summary>cert-manager Certificate name (<c>inference-gateway-tls</c>).</summary>
    public required string CertificateName { get; init; }

    public required IReadOnlyList<string> TlsDnsNames { get; init; }
    public required IReadOnlyList<string> TlsIpAddresses { get; init; }
}

public sealed record ImagePlan
{
    public required string Vllm { get; init; }
    public required string StorageInitializer { get; init; }
    public required string Gateway { get; init; }
    public required string Scheduler { get; init; }
    public required string PullSecret { get; init; }
}
