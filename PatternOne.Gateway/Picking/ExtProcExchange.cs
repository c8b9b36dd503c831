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
/// <see cref="GatewayPoolOptions.ResponseHeadersTimeout"/> for the picker, and a picker that fails here changes
/// nothing for the client.
/// </summary>
internal sealed class ExtProcExchange(
    AsyncDuplexStreamingCall<ProcessingRequest, ProcessingResponse> call,
    CancellationTokenSource callCancellation,
    GatewayPoolOptions pool,
    TimeProvider timeProvider,
    ILogger logger) : IPickExchange
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(1);
    private bool _broken;
    private bool _disposed;

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

        try
        {
            await call.RequestStream.WriteAsync(new ProcessingRequest
            {
                ResponseHeaders = new HttpHeaders { Headers = map, EndOfStream = endOfStream },
                MetadataContext = metadata,
            }, cancellationToken);

            if (pool.ResponseHeadersTimeout <= TimeSpan.Zero)
            {
                return HeaderMutations.None;
            }

            using var timeout = new CancellationTokenSource(pool.ResponseHeadersTimeout, timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            while (await call.ResponseStream.MoveNext(linked.Token))
            {
                var response = call.ResponseStream.Current;
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
                await call.RequestStream.CompleteAsync().WaitAsync(timeout.Token);
                while (await call.ResponseStream.MoveNext(timeout.Token))
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
            call.Dispose();
            callCancellation.Dispose();
        }
    }
}
