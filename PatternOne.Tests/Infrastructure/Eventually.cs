namespace PatternOne.Tests.Infrastructure;

/// <summary>Waits for a condition that other processes make true (spans exported, metrics scraped, pods watched).</summary>
public static class Eventually
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds; fails the test with <paramref name="what"/> when
    /// <paramref name="timeout"/> passes first. The poll interval only paces the checks: the outcome comes from the condition.
    /// </summary>
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        using var expiry = new CancellationTokenSource(timeout);
        while (!condition())
        {
            if (expiry.IsCancellationRequested)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}.");
            }

            await Task.Delay(s_pollInterval, CancellationToken.None);
        }
    }

    /// <summary>As <see cref="HoldsAsync(Func{bool}, TimeSpan, string)"/> for an asynchronous condition.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        using var expiry = new CancellationTokenSource(timeout);
        while (!await condition())
        {
            if (expiry.IsCancellationRequested)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}.");
            }

            await Task.Delay(s_pollInterval, CancellationToken.None);
        }
    }
}
