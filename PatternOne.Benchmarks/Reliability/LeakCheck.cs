namespace PatternOne.Benchmarks.Reliability;

/// <summary>
/// What two readings after induced full collections say about a process: how fast RSS and the GC heap grew between
/// them (MiB per hour), and whether the faster of the two would take the process to its memory limit within the horizon
/// from where the second reading left it. A leak shows in both; the GC's gen-2 cycle shows in neither, because both
/// readings are taken right after the garbage is gone.
/// </summary>
public sealed record LeakVerdict(double RssGrowthMbPerHour, double HeapGrowthMbPerHour, double HeadroomMb, bool WithinLimit)
{
    /// <summary>Days until the limit at the faster growth; null when neither grows.</summary>
    public double? DaysToLimit =>
        Math.Max(RssGrowthMbPerHour, HeapGrowthMbPerHour) is var growth && growth > 0 ? HeadroomMb / growth / 24 : null;
}

public static class LeakCheck
{
    public static LeakVerdict Judge(AfterFullGc start, AfterFullGc end, double limitMb, TimeSpan horizon)
    {
        if (end.Pid != start.Pid)
        {
            throw new ArgumentException($"the readings are of two processes ({start.Pid}, {end.Pid}): the service restarted between them", nameof(end));
        }

        var hours = (end.AtS - start.AtS) / 3600;
        if (hours <= 0)
        {
            throw new ArgumentException("the second reading must come after the first", nameof(end));
        }

        var rss = (end.RssMb - start.RssMb) / hours;
        var heap = (end.HeapMb - start.HeapMb) / hours;
        var headroom = limitMb - end.RssMb;
        return new LeakVerdict(rss, heap, headroom, Math.Max(rss, heap) * horizon.TotalHours <= headroom);
    }
}
