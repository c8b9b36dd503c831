using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PatternOne.Gateway.Forwarding;
using PatternOne.Gateway.Observability;

namespace PatternOne.Gateway.Picking;

/// <summary>
/// Warms the path to each pool's endpoint picker before the gateway reports ready: one real ext_proc exchange per pool
/// (a one-word chat request, headers and body, as a client's would go), repeated until the picker answers or
/// <see cref="GatewayOptions.PickerWarmupTimeout"/> passes. The first picks of a cold gateway and a cold picker (gRPC
/// connection, HTTP/2 stream, both sides' request parsing and scoring compiled on first use) took longer than the
/// 2 s picker timeout on a loaded machine, so under FailClose a stack that had just reported healthy answered its
/// first users 503.
/// <para>
/// This is Envoy's cluster warming: a listener stays out of service until its clusters have warmed, for at most
/// <c>initial_fetch_timeout</c>, then serves whatever the clusters' state. Likewise the gate holds only at start-up
/// and for a bounded time: afterwards readiness does not follow the picker (see <see cref="StatusEndpoints"/>), and a
/// picker that never answers leaves the pool to its failure mode, as before. The warm-up exchange is ended right after
/// the decision (the picker's in-flight count falls back); the picker counts it as one request. The gateway's own pick
/// metrics and per-pick logs leave it out (<see cref="PickRequest.IsWarmup"/>): they describe what clients get, and a
/// cold start's seconds-long first pick is not a client's.
/// </para>
/// </summary>
internal sealed class PickerWarmup(IOptions<GatewayOptions> options, IEndpointPickerClient picker, TimeProvider time, ILogger<PickerWarmup> logger)
    : BackgroundService, IHealthCheck
{
    public const string Name = "picker-warmup";

    /// <summary>Between two warm-up attempts while the picker does not answer yet.</summary>
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(250);

    private static readonly ReadOnlyMemory<byte> WarmupBody = Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"warm-up"}],"max_tokens":1}""");

    private volatile string? _outcome;

    /// <summary>Not ready while warming; once done (answered or timed out), ready with what happened.</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_outcome is { } outcome ? HealthCheckResult.Healthy(outcome) : HealthCheckResult.Unhealthy("Warming the path to the endpoint picker(s)."));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pools = options.Value.Pools.Where(p => !string.IsNullOrWhiteSpace(p.EndpointPicker)).ToList();
        var timeout = options.Value.PickerWarmupTimeout;
        if (pools.Count == 0 || timeout <= TimeSpan.Zero)
        {
            _outcome = pools.Count == 0 ? "No pool has an endpoint picker." : "Picker warm-up off.";
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(timeout);
        var started = time.GetTimestamp();
        var answered = await Task.WhenAll(pools.Select(pool => WarmAsync(pool, deadline.Token)));
        var cold = pools.Where((_, i) => !answered[i]).Select(p => p.Name).ToList();
        if (cold.Count == 0)
        {
            _outcome = $"{pools.Count} endpoint picker(s) answered the warm-up after {time.GetElapsedTime(started).TotalMilliseconds:F0} ms.";
        }
        else
        {
            GatewayLog.PickerWarmupGaveUp(logger, string.Join(", ", cold), timeout.TotalSeconds);
            _outcome = $"No warm-up answer from the picker of pool(s) {string.Join(", ", cold)} within {timeout.TotalSeconds:0.#} s; their failure mode applies.";
        }
    }

    /// <summary>True once the pool's picker answered (picked, or answered the request itself); false at the deadline.</summary>
    private async Task<bool> WarmAsync(GatewayPoolOptions pool, CancellationToken deadline)
    {
        while (!deadline.IsCancellationRequested)
        {
            PickResult result;
            try
            {
                result = await picker.PickAsync(WarmupRequest(pool), deadline);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                // The deadline (or shutdown) ended a pick still in flight: a hanging picker, the common way to miss it.
                // Letting it escape would fault this background service and, with the host's default, stop the gateway.
                break;
            }

            await using (result.Exchange)
            {
                if (result.Status != PickStatus.Unavailable)
                {
                    return true;
                }
            }

            try
            {
                await Task.Delay(RetryInterval, time, deadline);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return false;
    }

    private static PickRequest WarmupRequest(GatewayPoolOptions pool) => new(pool,
    [
        new(":method", "POST"),
        new(":scheme", "http"),
        new(":authority", "localhost"),
        new(":path", "/v1/chat/completions"),
        new("content-type", "application/json"),
        new("content-length", WarmupBody.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("x-request-id", "gateway-warm-up-" + pool.Name),
    ], BufferedBody.FromSegments([WarmupBody]))
    {
        IsWarmup = true,
    };
}
