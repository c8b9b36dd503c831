using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Tests.Scheduler;

internal static class SchedulingTestData
{
    public static readonly DateTimeOffset Now = new(2026, 11, 27, 3, 0, 0, TimeSpan.Zero);

    public static EndpointSnapshot Endpoint(string address, int waiting = 0, double kv = 0, int running = 0, int inFlight = 0, DateTimeOffset? updatedAt = null) => new()
    {
        Address = address,
        WaitingRequests = waiting,
        KvCacheUsage = kv,
        RunningRequests = running,
        InFlightRequests = inFlight,
        MetricsUpdatedAt = updatedAt ?? Now,
    };

    public static EndpointSnapshot[] Endpoints(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Endpoint($"10.0.0.{i + 1}:8000"))];

    public static SchedulingContext Context(SchedulingRequest? request = null, int seed = 1) =>
        new(request ?? new SchedulingRequest(), Now, new Random(seed));

    /// <summary>A prompt of <paramref name="blocks"/> distinct 64-character blocks, starting with <paramref name="seed"/>.</summary>
    public static string Prompt(int blocks, string seed = "shared") =>
        string.Concat(Enumerable.Range(0, blocks).Select(i => $"{seed}-block-{i}-".PadRight(64, 'x')[..64]));
}
