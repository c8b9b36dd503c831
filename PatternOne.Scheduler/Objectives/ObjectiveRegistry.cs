using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Discovery;

namespace PatternOne.Scheduler.Objectives;

/// <summary>
/// The inference objectives known to this scheduler and their priorities: those configured under
/// <c>InferencePool:Objectives</c>, overlaid by the InferenceObjective objects watched in a cluster (the cluster's
/// object wins for a name both define). A request without an objective header, or naming an unknown objective, has
/// priority 0, as upstream.
/// </summary>
public sealed class ObjectiveRegistry
{
    private readonly FrozenDictionary<string, int> _configured;
    private volatile FrozenDictionary<string, int> _effective;

    public ObjectiveRegistry(IOptions<InferencePoolOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _configured = options.Value.Objectives.ToFrozenDictionary(pair => pair.Key, pair => pair.Value.Priority, StringComparer.Ordinal);
        _effective = _configured;
    }

    /// <summary>Every known objective and its priority.</summary>
    public IReadOnlyDictionary<string, int> Priorities => _effective;

    /// <summary>The priority of <paramref name="objective"/>; 0 when it is null, empty or unknown.</summary>
    public int PriorityOf(string? objective) =>
        objective is { Length: > 0 } && _effective.TryGetValue(objective, out var priority) ? priority : 0;

    /// <summary>
    /// The objective a request names: <c>x-llm-d-inference-objective</c>, else the legacy
    /// <c>x-gateway-inference-objective</c> (header names lower-cased).
    /// </summary>
    public static string? ObjectiveOf(IReadOnlyDictionary<string, string> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return headers.TryGetValue(ExtProcNames.ObjectiveHeader, out var current) && current.Length > 0 ? current
            : headers.TryGetValue(ExtProcNames.LegacyObjectiveHeader, out var legacy) && legacy.Length > 0 ? legacy
            : null;
    }

    /// <summary>Replaces the objectives read from the cluster (name → priority); configured ones stay underneath.</summary>
    public void SetClusterObjectives(IReadOnlyDictionary<string, int> cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var merged = new Dictionary<string, int>(_configured, StringComparer.Ordinal);
        foreach (var (name, priority) in cluster)
        {
            merged[name] = priority;
        }

        _effective = merged.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
