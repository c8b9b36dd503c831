namespace PatternOne.Scheduler.Scheduling;

/// <summary>A named stage of a scheduling profile.</summary>
public interface ISchedulingPlugin
{
    /// <summary>The plugin type as written in EndpointPickerConfig (e.g. <c>queue-scorer</c>).</summary>
    string Type { get; }

    /// <summary>The instance name (defaults to the type).</summary>
    string Name { get; }
}

/// <summary>
/// Removes candidates. Filters run in order. A filter that removes every candidate ends the pick as saturated (429)
/// for a sheddable request; for any other request the pipeline undoes it (fails open).
/// </summary>
public interface IFilter : ISchedulingPlugin
{
    void Filter(SchedulingContext context, List<EndpointSnapshot> candidates);
}

/// <summary>Scores every candidate in [0,1] (out-of-range values are clamped by the pipeline).</summary>
public interface IScorer : ISchedulingPlugin
{
    /// <summary>Writes one score per candidate into <paramref name="scores"/> (same order, zeroed on entry).</summary>
    void Score(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, Span<double> scores);
}

/// <summary>Chooses up to <see cref="MaxEndpoints"/> candidates from their weighted totals.</summary>
public interface IPicker : ISchedulingPlugin
{
    /// <summary>How many endpoints to return (the primary plus fallbacks); upstream's <c>maxNumOfEndpoints</c>.</summary>
    int MaxEndpoints { get; }

    /// <summary>Adds candidate indexes to <paramref name="picked"/>, best first.</summary>
    void Pick(SchedulingContext context, IReadOnlyList<EndpointSnapshot> candidates, ReadOnlySpan<double> totals, List<int> picked);
}

/// <summary>A plugin that keeps state about endpoints and learns from picks (the prefix index).</summary>
public interface IPickLearner
{
    void Learn(SchedulingContext context, string address);

    void Forget(string address);
}
