using System.Collections.Concurrent;

namespace PatternOne.Gateway.Picking;

/// <summary>
/// A few ext_proc calls to one picker, opened before the requests that will use them, so a pick does not wait for the
/// call's set-up: the HTTP/2 stream, the picker's Kestrel stream and its gRPC dispatch (median 0.38 ms, mean 2.3 ms on a
/// loaded 2-core machine; the mean is what a replica's continuous-batching steps turn into missed steps, see
/// docs/performance.md). Each request still gets its own stream with exactly the messages it would get on a fresh one;
/// a call opened but not yet used has sent only its HEADERS.
/// <code>
///  request ──▶ TryTake ──▶ an open, live, young call? ──yes──▶ bound to the request, used as a fresh call would be
///                 │                                   └─no──▶ the caller opens a fresh call (today's path)
///                 └──▶ signal ──▶ refill loop (background): drop ended / old calls, open up to the target
/// </code>
/// Bounded: the target follows the recent request rate (enough for <see cref="Horizon"/> of arrivals, at most
/// <see cref="MaxCalls"/>), zero when no request came in the last second, so an idle gateway keeps no stream open.
/// A call older than <see cref="MaxAge"/> is closed and replaced (an intermediary or the picker may limit idle streams);
/// one the picker ended (restart, lost connection) is dropped, and opening pauses for a moment so a picker that is down
/// is not hammered. The refill never runs on a request's path.
/// </summary>
internal sealed class PrestartedPickerCalls : IDisposable
{
    /// <summary>At most this many calls wait open: a handful covers hundreds of requests per second.</summary>
    internal const int MaxCalls = 4;

    /// <summary>An unused call is closed and replaced after this long.</summary>
    internal static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    /// <summary>The calls kept open cover the requests expected within this time (plus one).</summary>
    private static readonly TimeSpan Horizon = TimeSpan.FromMilliseconds(10);

    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(1);

    /// <summary>The loop also wakes this often without a take, to retire old calls and follow the rate down.</summary>
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>After a call was found ended, no new one is opened for this long (the channel's reconnect backoff is 0.2-1 s).</summary>
    private static readonly TimeSpan PauseAfterEnded = TimeSpan.FromSeconds(1);

    private readonly Func<PickerCall> _open;
    private readonly TimeProvider _time;
    private readonly ConcurrentQueue<PickerCall> _ready = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private int _count;
    private int _picks;
    private long _pausedUntil;
    private int _disposed;

    public PrestartedPickerCalls(Func<PickerCall> open, TimeProvider time)
    {
        _open = open;
        _time = time;
        _loop = Task.Run(RefillAsync);
    }

    /// <summary>Calls open and waiting (for tests and the note's measurements).</summary>
    internal int Count => Volatile.Read(ref _count);

    /// <summary>
    /// An open call for a request that has arrived, bound to it; null when none is ready (the caller opens a fresh one).
    /// Either way the refill loop is told that a request came.
    /// </summary>
    public PickerCall? TryTake(CancellationToken requestAborted)
    {
        Interlocked.Increment(ref _picks);
        PickerCall? taken = null;
        while (_ready.TryDequeue(out var call))
        {
            Interlocked.Decrement(ref _count);
            if (IsUsable(call))
            {
                taken = call;
                break;
            }

            Drop(call);
        }

        Signal();
        taken?.BindTo(requestAborted);
        return taken;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        Signal();
        DisposeReady();
        // The loop ends on its own (it checks the token after every step); it disposes what it opened after this.
    }

    private void Signal()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (ObjectDisposedException)
            {
                // Disposed while a request was in flight: nothing to refill.
            }
        }
    }

    private bool IsUsable(PickerCall call) =>
        !call.HasEnded && _time.GetElapsedTime(call.StartedAt) < MaxAge;

    private void Drop(PickerCall call)
    {
        if (call.HasEnded)
        {
            Volatile.Write(ref _pausedUntil, _time.GetTimestamp() + (long)(PauseAfterEnded.TotalSeconds * _time.TimestampFrequency));
        }

        call.Dispose();
    }

    private async Task RefillAsync()
    {
        var windowStart = _time.GetTimestamp();
        var target = 0;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(CheckInterval, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var elapsed = _time.GetElapsedTime(windowStart);
            if (elapsed >= RateWindow)
            {
                var rate = Interlocked.Exchange(ref _picks, 0) / elapsed.TotalSeconds;
                windowStart = _time.GetTimestamp();
                target = rate <= 0 ? 0 : Math.Min(MaxCalls, 1 + (int)Math.Ceiling(rate * Horizon.TotalSeconds));
            }

            Retire(keep: target);
            while (Count < target && _time.GetTimestamp() >= Volatile.Read(ref _pausedUntil) && !_stopping.IsCancellationRequested)
            {
                PickerCall call;
                try
                {
                    call = _open();
                }
                catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
                {
                    // The channel is being disposed (shutdown): nothing more to open.
                    break;
                }

                // Counted before it can be taken, so the count never runs below what the queue holds.
                Interlocked.Increment(ref _count);
                _ready.Enqueue(call);
            }

            if (_stopping.IsCancellationRequested)
            {
                // Dispose may have drained the queue before the last enqueue above.
                DisposeReady();
            }
        }

        _wake.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Closes the calls that ended or aged, and those above the target (the rate fell), oldest first.</summary>
    private void Retire(int keep)
    {
        while (_ready.TryPeek(out var oldest) && (Count > keep || !IsUsable(oldest)) && _ready.TryDequeue(out var call))
        {
            Interlocked.Decrement(ref _count);
            Drop(call);
        }
    }

    private void DisposeReady()
    {
        while (_ready.TryDequeue(out var call))
        {
            Interlocked.Decrement(ref _count);
            call.Dispose();
        }
    }
}
