namespace PatternOne.AppHost.Publishing.Observability;

/// <summary>
/// The Grafana dashboard (<c>patternone-inference.json</c> beside this file, embedded): per-replica TTFT, TPOT, queue,
/// KV-cache use, prefix-cache hit rate and tokens/s from vLLM's metric names, and the scheduler's picks, refusals and
/// pick latency from upstream EPP's names, so dashboards written for vLLM and the EPP read the same series.
/// </summary>
public static class GrafanaDashboard
{
    public static string Json { get; } = Read();

    private static string Read()
    {
        using var stream = typeof(GrafanaDashboard).Assembly.GetManifestResourceStream("PatternOne.AppHost.Publishing.Observability.patternone-inference.json")
            ?? throw new InvalidOperationException("The AppHost was built without its embedded Grafana dashboard.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
