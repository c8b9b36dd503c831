using System.Diagnostics;
using System.Net.Security;

namespace PatternOne.Benchmarks.DataPath;

/// <summary>
/// Latencies of one load run, in milliseconds: of the successful requests, and by request index (NaN where the request
/// failed) so two paths that ran the same schedule can be compared request by request.
/// </summary>
public sealed record LoadResult(double[] LatenciesMs, double[] ByIndexMs, int Errors, double DurationS, int Completed, string? FirstError)
{
    public double RequestsPerSecond => DurationS > 0 ? Completed / DurationS : 0;
}

/// <summary>
/// Load for the data path. Fixed-rate runs are coordinated-omission safe (as wrk2): request i has an intended start
/// <c>t0 + i/rate</c>, fixed before the run; its latency is measured from that intended start (or from the actual send
/// when the timer fired early), so a stalled server is charged for every request it delayed, not just the first.
/// Throughput runs are closed-loop: a fixed number of connections, each sending as soon as its last reply arrived.
/// </summary>
public static class LoadDriver
{
    /// <summary>One HttpClient per target: pooled keep-alive connections, the test certificate accepted.</summary>
    public static HttpClient CreateClient(int maxConnections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        UseProxy = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        SslOptions = new SslClientAuthenticationOptions
        {
            // The benchmark's own throwaway certificate (LocalCertificate); never used outside this tool.
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        },
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static async Task<LoadResult> FixedRateAsync(
        Func<int, CancellationToken, Task<bool>> send, double rate, TimeSpan duration, int maxInFlight, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, (int)(rate * duration.TotalSeconds));
        var latencies = new double[count];
        var errors = 0;
        string? firstError = null;
        using var gate = new SemaphoreSlim(maxInFlight);
        var tasks = new Task[count];
        var t0 = Stopwatch.GetTimestamp();
        var ticksPerRequest = Stopwatch.Frequency / rate;
        for (var i = 0; i < count; i++)
        {
            var intended = t0 + (long)(i * ticksPerRequest);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), intended);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                // Pacing the open-loop schedule: this is the load generator's clock, not a wait for state.
                await Task.Delay(wait, cancellationToken);
            }

            var index = i;
            tasks[i] = Task.Run(async () =>
            {
                await gate.WaitAsync(cancellationToken);
                var start = Math.Min(intended, Stopwatch.GetTimestamp());
                var ok = false;
                try
                {
                    ok = await send(index, cancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    Interlocked.CompareExchange(ref firstError, ex.GetType().Name + ": " + ex.Message, null);
                }
                finally
                {
                    gate.Release();
                }

                latencies[index] = ok ? Stopwatch.GetElapsedTime(start).TotalMilliseconds : double.NaN;
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }
            }, cancellationToken);
        }

        await Task.WhenAll(tasks).WaitAsync(duration + TimeSpan.FromSeconds(60), cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var ok = latencies.Where(l => !double.IsNaN(l)).ToArray();
        return new LoadResult(ok, latencies, errors, elapsed, ok.Length, firstError ?? (errors > 0 ? "non-2xx status" : null));
    }

    public static async Task<LoadResult> ClosedLoopAsync(
        Func<int, CancellationToken, Task<bool>> send, int connections, TimeSpan duration, CancellationToken cancellationToken)
    {
        var completed = 0;
        var errors = 0;
        string? firstError = null;
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var sequence = 0;
        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    if (await send(Interlocked.Increment(ref sequence), cancellationToken))
                    {
                        Interlocked.Increment(ref completed);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, ex.GetType().Name + ": " + ex.Message, null);
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers).WaitAsync(duration + TimeSpan.FromSeconds(60), cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new LoadResult([], [], errors, elapsed, completed, firstError ?? (errors > 0 ? "non-2xx status" : null));
    }
}
