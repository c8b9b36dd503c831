namespace PatternOne.Scheduler.ExtProc;

/// <summary>Limits of the ext_proc service, bound from section <c>Scheduler:ExtProc</c>.</summary>
public sealed class ExtProcOptions
{
    public const string SectionName = "Scheduler:ExtProc";

    /// <summary>Largest request body buffered for a pick; larger ones get 413. Default 16 MiB, the gateway's own limit: behind Envoy nothing else bounds what a stream may make the scheduler hold.</summary>
    public int MaxRequestBodyBytes { get; set; } = 16 * 1024 * 1024;
}
