using BenchmarkDotNet.Attributes;
using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Benchmarks.HotPaths;

/// <summary>
/// Base of the benchmarks that measure against a warm prefix index: the same pool sizes (so their rows compare), every
/// endpoint having served <see cref="WarmPromptsPerEndpoint"/> other 16 KB prompts, and the measured prompt held by the
/// endpoint in the middle of the pool (<see cref="HolderIndex"/>).
/// </summary>
public abstract class WarmIndexBenchmark
{
    /// <summary>Other prompts each endpoint has served before the measured one.</summary>
    public const int WarmPromptsPerEndpoint = 32;

    /// <summary>Endpoints in the pool; the hot-paths scenario's quick run leaves out the largest.</summary>
    [Params(8, 64, 256)]
    public int Endpoints { get; set; }

    /// <summary>The pool, made by <see cref="CreatePool"/>.</summary>
    protected EndpointSnapshot[] Pool { get; private set; } = [];

    /// <summary>The endpoint that holds the measured prompt.</summary>
    protected int HolderIndex => Endpoints / 2;

    /// <summary>Makes the pool of <see cref="Endpoints"/> endpoints, endpoint i as <paramref name="endpoint"/>(i).</summary>
    protected void CreatePool(Func<int, EndpointSnapshot> endpoint) => Pool = [.. Enumerable.Range(0, Endpoints).Select(endpoint)];

    /// <summary>Warms the index: for each endpoint in turn, <paramref name="serveOtherPrompt"/> its address <see cref="WarmPromptsPerEndpoint"/> times.</summary>
    protected void WarmUp(Action<string> serveOtherPrompt)
    {
        foreach (var endpoint in Pool)
        {
            for (var p = 0; p < WarmPromptsPerEndpoint; p++)
            {
                serveOtherPrompt(endpoint.Address);
            }
        }
    }
}
