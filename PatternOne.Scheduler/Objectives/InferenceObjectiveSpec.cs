namespace PatternOne.Scheduler.Objectives;

/// <summary>
/// One inference objective (upstream's <c>InferenceObjective</c>, group <c>llm-d.ai</c>, v1alpha2): a name requests
/// select with the header <c>x-llm-d-inference-objective</c>, and its priority. Configured as
/// <c>InferencePool:Objectives:&lt;name&gt;:Priority</c>, or read from the cluster's InferenceObjective objects.
/// </summary>
public sealed record InferenceObjectiveSpec
{
    /// <summary>Higher is more important; negative is sheddable (refused with 429 while the pool is saturated). Default 0, as upstream treats an unset priority.</summary>
    public int Priority { get; init; }
}
