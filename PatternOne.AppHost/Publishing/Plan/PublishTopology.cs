namespace PatternOne.AppHost.Publishing.Plan;

/// <summary>
/// Which cluster the manifests are for (publish parameter <c>topology</c>). The app model is the same; what carries
/// the gateway and who creates the vLLM workload differ.
/// </summary>
public enum PublishTopology
{
    /// <summary>No Istio, no KServe: our gateway, scheduler and vLLM as plain Deployments (<c>aspirate-output/</c>).</summary>
    Standalone,

    /// <summary>
    /// Istio with the Gateway API Inference Extension: an Istio <c>Gateway</c>, an <c>HTTPRoute</c> to an
    /// <c>InferencePool</c> whose endpoint picker is our scheduler, vLLM as a Deployment.
    /// </summary>
    Istio,

    /// <summary>
    /// KServe's LLMInferenceService controller on Istio: an <c>LLMInferenceService</c> whose router's scheduler runs our
    /// image; the controller creates the workload, pool, route and EPP objects.
    /// </summary>
    KServe,
}

/// <summary>The InferencePool API the Istio topology writes (publish parameter <c>inference-pool-api</c>).</summary>
public enum InferencePoolApi
{
    /// <summary><c>inference.networking.k8s.io/v1</c> (GA; Istio 1.27/1.28 and newer).</summary>
    V1,

    /// <summary><c>inference.networking.x-k8s.io/v1alpha2</c> (Istio 1.26 / OSSM 3.1, the seed's cluster).</summary>
    V1Alpha2,
}

/// <summary>Names of the topologies and pool APIs as the publish parameters spell them.</summary>
public static class PublishTopologyNames
{
    public const string Standalone = "standalone";
    public const string Istio = "istio";
    public const string KServe = "kserve";

    public const string PoolV1 = "v1";
    public const string PoolV1Alpha2 = "v1alpha2";

    public static PublishTopology ParseTopology(string value) => value.ToLowerInvariant() switch
    {
        Standalone => PublishTopology.Standalone,
        Istio => PublishTopology.Istio,
        KServe => PublishTopology.KServe,
        _ => throw new InvalidOperationException(
            $"Parameter '{PublishParameters.Topology}': '{value}' is not one of {Standalone}, {Istio}, {KServe}."),
    };

    public static InferencePoolApi ParsePoolApi(string value) => value.ToLowerInvariant() switch
    {
        PoolV1 => InferencePoolApi.V1,
        PoolV1Alpha2 => InferencePoolApi.V1Alpha2,
        _ => throw new InvalidOperationException(
            $"Parameter '{PublishParameters.InferencePoolApi}': '{value}' is not one of {PoolV1}, {PoolV1Alpha2}."),
    };

    /// <summary>
    /// The default output folder of a topology: <c>aspirate-output</c> for standalone (Aspirate's name), a sibling
    /// folder for the others so that all three can be committed side by side.
    /// </summary>
    public static string DefaultOutputFolder(PublishTopology topology) => topology switch
    {
        PublishTopology.Istio => KubernetesPublisherExtensions.DefaultOutputFolder + "-" + Istio,
        PublishTopology.KServe => KubernetesPublisherExtensions.DefaultOutputFolder + "-" + KServe,
        _ => KubernetesPublisherExtensions.DefaultOutputFolder,
    };
}
