namespace PatternOne.AppHost.Inference;

/// <summary>
/// A pool of vLLM replicas serving one model: the seed's LLMInferenceService workload and the InferencePool that
/// the endpoint picker schedules over. In run mode each replica is a simulator process (a child resource); when
/// published, the pool becomes a TPU Deployment and its Service.
/// </summary>
public sealed class VllmPoolResource(string name, string model) : Resource(name)
{
    /// <summary>The Hugging Face model id served, e.g. <c>Qwen/Qwen2.5-3B-Instruct</c>.</summary>
    public string Model { get; set; } = model;

    /// <summary>The model name clients send in requests; vLLM's <c>--served-model-name</c>. Defaults to <see cref="Model"/>.</summary>
    public string ServedModelName { get; set; } = model;

    /// <summary>Number of vLLM replicas (pods in a cluster, simulator processes locally). Default 1, as in the seed.</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>The TPU slice each replica runs on; null for a pool without accelerators.</summary>
    public TpuAccelerator? Tpu { get; set; }

    /// <summary>Engine flags passed to every replica, e.g. <c>--dtype=half</c>.</summary>
    public List<string> VllmArgs { get; } = [];

    /// <summary>Port vLLM's OpenAI-compatible server listens on in a cluster.</summary>
    public int TargetPort { get; set; } = 8000;

    /// <summary>Kubernetes namespace of the workload (the seed's <c>llm-d-inference-scheduling</c>).</summary>
    public string Namespace { get; set; } = "llm-d-inference-scheduling";

    /// <summary>The replica processes started in run mode, in order.</summary>
    internal List<IResourceBuilder<ProjectResource>> ReplicaBuilders { get; } = [];

    /// <summary>
    /// The value of vLLM's <c>--max-model-len</c> among <see cref="VllmArgs"/>, or null when not set.
    /// </summary>
    public int? MaxModelLength =>
        VllmArgs.Select(a => a.Split('=', 2)).Where(p => p.Length == 2 && p[0] == "--max-model-len")
            .Select(p => int.TryParse(p[1], out var n) ? n : (int?)null).LastOrDefault();
}
