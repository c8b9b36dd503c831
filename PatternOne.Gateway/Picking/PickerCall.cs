using Envoy.Service.ExtProc.V3;
using Grpc.Core;

namespace PatternOne.Gateway.Picking;

/// <summary>
/// One ext_proc call and what ends it: its own cancellation, the request phase's batching, and — for a call opened
/// ahead of its request (<see cref="PrestartedPickerCalls"/>) — the request's registration that cancels it, released
/// with the call so that no request leaves a registration behind.
/// </summary>
internal sealed class PickerCall : IDisposable
{
    private readonly Task<Metadata>? _responseHeaders;
    private CancellationTokenRegistration _request;

    private PickerCall(AsyncDuplexStreamingCall<ProcessingRequest, ProcessingResponse> call, CancellationTokenSource cancellation,
        RequestPhaseBatch batch, long startedAt, bool prestarted)
    {
        Call = call;
        Cancellation = cancellation;
        Batch = batch;
        StartedAt = startedAt;
        // A call waiting for its request has had no answer: its response headers completing (an error, a restarted picker,
        // a lost connection) says it can no longer carry one.
        _responseHeaders = prestarted ? call.ResponseHeadersAsync : null;
        // Observed: a call dropped or disposed unused ends its response headers with an error nobody awaits.
        _responseHeaders?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    public AsyncDuplexStreamingCall<ProcessingRequest, ProcessingResponse> Call { get; }

    public CancellationTokenSource Cancellation { get; }

    public RequestPhaseBatch Batch { get; }

    /// <summary>When the call was opened (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long StartedAt { get; }

    public bool Prestarted => _responseHeaders is not null;

    /// <summary>The picker ended a call that never carried a request, or the connection under it went away.</summary>
    public bool HasEnded => _responseHeaders is { IsCompleted: true };

    /// <summary>The call for a request that has arrived: cancelled with it (the request's token), batched as today.</summary>
    public static PickerCall Start(ExternalProcessor.ExternalProcessorClient client, TimeProvider time, CancellationToken requestAborted)
    {
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        try
        {
            var batch = new RequestPhaseBatch();
            using (batch.Begin())
            {
                return new PickerCall(client.Process(cancellationToken: cancellation.Token), cancellation, batch, time.GetTimestamp(), prestarted: false);
            }
        }
        catch
        {
            cancellation.Dispose();
            throw;
        }
    }

    /// <summary>A call opened before its request: only its HTTP/2 HEADERS go out now; the request's messages later, batched.</summary>
    public static PickerCall Prestart(ExternalProcessor.ExternalProcessorClient client, TimeProvider time)
    {
        var cancellation = new CancellationTokenSource();
        try
        {
            var batch = new RequestPhaseBatch { SendsHeadersAhead = true };
            using (batch.Begin())
            {
                return new PickerCall(client.Process(cancellationToken: cancellation.Token), cancellation, batch, time.GetTimestamp(), prestarted: true);
            }
        }
        catch
        {
            cancellation.Dispose();
            throw;
        }
    }

    /// <summary>Hands a pre-started call to its request: the request's end (deadline, client gone) cancels the call.</summary>
    public void BindTo(CancellationToken requestAborted) =>
        _request = requestAborted.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), Cancellation);

    public void Dispose()
    {
        // The registration first: its callback must not run on a disposed source.
        _request.Dispose();
        Call.Dispose();
        Cancellation.Dispose();
    }
}
