namespace PatternOne.ServiceDefaults.Shutdown;

/// <summary>
/// Where a service is in its shutdown, for the code that serves requests:
/// <code>
///  SIGTERM ─▶ IsDraining (readiness fails, new inference work is refused) ─▶ drain timeout ─▶ Deadline fires
///             (in-flight work ends now, cleanly: an error event on a stream, an error status otherwise)
/// </code>
/// </summary>
public sealed class DrainState
{
    private readonly CancellationTokenSource _deadline = new();
    private volatile bool _draining;

    /// <summary>True from the moment the host starts stopping.</summary>
    public bool IsDraining => _draining;

    /// <summary>Fires when the drain timeout has passed since the stop began: what still runs must end now.</summary>
    public CancellationToken Deadline => _deadline.Token;

    /// <summary>Starts the drain; <see cref="Deadline"/> fires after <paramref name="timeout"/>.</summary>
    public void Begin(TimeSpan timeout, TimeProvider timeProvider)
    {
        _draining = true;
        if (timeout <= TimeSpan.Zero)
        {
            _deadline.Cancel();
            return;
        }

        // Never disposed, like the host's own lifetime tokens: a request may still hold the token when the host is gone.
        var timer = new CancellationTokenSource(timeout, timeProvider);
        timer.Token.Register(static state => ((CancellationTokenSource)state!).Cancel(), _deadline);
    }
}
