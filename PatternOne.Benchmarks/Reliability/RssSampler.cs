using PatternOne.Benchmarks.Hosting;

namespace PatternOne.Benchmarks.Reliability;

/// <summary>One reading of a service's resident memory (MiB; the anonymous, file-backed and shared parts beside the total, see <see cref="ResidentMemory"/>).</summary>
public sealed record RssSample(double AtS, string Service, int Pid, double RssMb, double AnonMb, double FileMb, double ShmemMb);

/// <summary>
/// Samples the RSS of every service of an <see cref="AppHostStack"/> at a fixed interval, following each service to its
/// new process after a restart (the pid is in every sample).
/// </summary>
public sealed class RssSampler : IAsyncDisposable
{
    private readonly List<RssSample> _samples = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public IReadOnlyList<RssSample> Samples
    {
        get
        {
            lock (_gate)
            {
                return _samples.ToArray();
            }
        }
    }

    public static RssSampler Start(AppHostStack stack, Func<double> clock, TimeSpan interval)
    {
        var sampler = new RssSampler();
        sampler._loop = Task.Run(() => sampler.RunAsync(stack, clock, interval));
        return sampler;
    }

    /// <summary>Reads every service now (also called between phases, for a baseline at an exact moment).</summary>
    public void SampleNow(AppHostStack stack, double atS)
    {
        foreach (var service in stack.ServiceNames)
        {
            if (stack.ServicePid(service) is { } pid && ProcessMemory.Read(pid) is { } memory)
            {
                lock (_gate)
                {
                    _samples.Add(new RssSample(atS, service, pid, memory.RssMb, memory.AnonMb, memory.FileMb, memory.ShmemMb));
                }
            }
        }
    }

    private async Task RunAsync(AppHostStack stack, Func<double> clock, TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            SampleNow(stack, clock());
        }
        while (await WaitTickAsync(timer));
    }

    private async Task<bool> WaitTickAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
