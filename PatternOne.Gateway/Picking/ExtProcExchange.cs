using Envoy.Config.Core.V3;
using Envoy.Service.ExtProc.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Observability;

namespace PatternOne.Gateway.Picking;

/// <summary>
/// The response phase of one ext_proc stream. Best effort: the client's response never waits longer than
/// <see cref="GatewayPoolOptions.ResponseHeadersTimeout"/> for the picker (by default not at all), and a picker that
/// fails here changes nothing for the client.
/// </summary>
internal sealed class ExtProcExchange(
    PickerCall pickerCall,
    GatewayPoolOptions pool,
    TimeProvider timeProvider,
    ILogger logger) : IPickExchange
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(1);
    private bool _broken;
    private bool _disposed;

    /// <summary>The observability-mode response headers still on their way to the picker (awaited before the half-close).</summary>
    private Task? _observedWrite;

    public async ValueTask<HeaderMutations> ResponseHeadersAsync(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers,
        EndpointAddress served, bool endOfStream, CancellationToken cancellationToken)
    {
        if (_broken || _disposed)
        {
            return HeaderMutations.None;
        }

        var map = new HeaderMap();
        map.Headers.Add(new HeaderValue { Key = ":status", RawValue = ByteString.CopyFromUtf8(statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)) });
        foreach (var (name, value) in headers)
        {
            map.Headers.Add(new HeaderValue { Key = name, RawValue = ByteString.CopyFromUtf8(value) });
        }

        var lb = new Struct();
        lb.Fields[ExtProcNames.ServedEndpoint] = Value.ForString(served.Authority);
        var metadata = new Envoy.Config.Core.V3.Metadata();
        metadata.FilterMetadata[ExtProcNames.LbNamespace] = lb;

        // Not waiting for the picker's answer, the gateway tells it not to send one (ext_proc's observability_mode):
        // the picker still learns the served endpoint, and the client's response loses no round trip.
        var observeOnly = pool.ResponseHeadersTimeout <= TimeSpan.Zero;
        var message = new ProcessingRequest
        {
            ResponseHeaders = new HttpHeaders { Headers = map, EndOfStream = endOfStream },
            MetadataContext = metadata,
            ObservabilityMode = observeOnly,
        };
        try
        {
            if (_observedWrite is not null)
            {
                await _observedWrite;
            }

            if (observeOnly)
            {
                // Nothing comes back, so the client's response need not wait for the write either (it cost ~0.2 ms at the
                // median and milliseconds in the tail under load, on every request): the write goes on beside the body,
                // and the half-close waits for it (DisposeAsync), so the picker sees the same messages in the same order.
                // Not tied to the forwarder's token, which is recycled once the response is done: the call's own
                // cancellation (client gone) and DisposeAsync's close timeout bound it.
                _observedWrite = pickerCall.Call.RequestStream.WriteAsync(message, CancellationToken.None);
                return HeaderMutations.None;
            }

            await pickerCall.Call.RequestStream.WriteAsync(message, cancellationToken);

            using var timeout = new CancellationTokenSource(pool.ResponseHeadersTimeout, timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            while (await pickerCall.Call.ResponseStream.MoveNext(linked.Token))
            {
                var response = pickerCall.Call.ResponseStream.Current;
                if (response.ResponseCase == ProcessingResponse.ResponseOneofCase.ResponseHeaders)
                {
                    var mutation = response.ResponseHeaders.Response?.HeaderMutation;
                    return mutation is null ? HeaderMutations.None : ExtProcEndpointPickerClient.ToMutations([mutation]);
                }

                // An immediate response here would replace a response the replica already produced; the gateway keeps
                // the replica's (Envoy would not), because the client is better served by the real answer.
                if (response.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
                {
                    _broken = true;
                    return HeaderMutations.None;
                }
            }

            _broken = true;
            return HeaderMutations.None;
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or IOException or InvalidOperationException)
        {
            // A cancelled read cancels the whole call, so the exchange is over either way.
            _broken = true;
            GatewayLog.PickerResponsePhaseFailed(logger, pool.Name, ex);
            return HeaderMutations.None;
        }
    }

    /// <summary>Half-closes the stream so the picker sees the request end, waits briefly for it to finish, releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_broken)
            {
                using var timeout = new CancellationTokenSource(CloseTimeout, timeProvider);
                if (_observedWrite is not null)
                {
                    await _observedWrite.WaitAsync(timeout.Token);
                }

                await pickerCall.Call.RequestStream.CompleteAsync().WaitAsync(timeout.Token);
                while (await pickerCall.Call.ResponseStream.MoveNext(timeout.Token))
                {
                    // Whatever the picker still says after the end of the request has no one to apply to.
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or IOException or InvalidOperationException)
        {
            GatewayLog.PickerResponsePhaseFailed(logger, pool.Name, ex);
        }
        finally
        {
            var unfinishedWrite = _observedWrite is { IsCompleted: false } write ? write : null;
            // With the call go its cancellation and, for a pre-started call, the request's registration on it.
            pickerCall.Dispose();

            // A write the close gave up on fails once the call is gone. Expected, so logged at Debug; and observed, so
            // its fault never surfaces as an UnobservedTaskException when the task is collected.
            unfinishedWrite?.ContinueWith(static (write, state) =>
            {
                var (logger, pool) = ((ILogger, string))state!;
                GatewayLog.PickerResponsePhaseFailed(logger, pool, write.Exception);
            }, (logger, pool.Name), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
