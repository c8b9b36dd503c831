namespace PatternOne.Tests.Scheduler;

/// <summary>Waits for a condition without sleeping a fixed time: re-checks on a short yield until true or timed out.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string? because = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!condition())
        {
            try
            {
                await timer.WaitForNextTickAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Condition not met within {timeout}{(because is null ? "" : ": " + because)}.");
            }
        }
    }
}
