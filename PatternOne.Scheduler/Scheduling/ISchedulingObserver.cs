namespace PatternOne.Scheduler.Scheduling;

/// <summary>Receives timings of every plugin and every pick; the service exports them to Prometheus.</summary>
public interface ISchedulingObserver
{
    /// <summary>One plugin ran; <paramref name="extensionPoint"/> is <c>Filter</c>, <c>Scorer</c> or <c>Picker</c>, as upstream labels them.</summary>
    void OnPluginCompleted(string extensionPoint, string pluginType, string pluginName, TimeSpan elapsed);

    /// <summary>One pick ended, scheduled or not.</summary>
    void OnPickCompleted(SchedulingResult result, TimeSpan elapsed);
}
