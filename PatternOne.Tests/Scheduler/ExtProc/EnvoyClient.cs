using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Service.ExtProc.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Metadata = Envoy.Config.Core.V3.Metadata;

namespace PatternOne.Tests.Scheduler.ExtProc;

/// <summary>
/// Plays Envoy's side of one ext_proc stream with FULL_DUPLEX_STREAMED bodies: the same method path, messages and
/// header encoding (raw_value) a real proxy sends. Built from the wire contract, not from a generated client.
/// </summary>
internal sealed class EnvoyClient : IAsyncDisposable
{
    private static readonly Method<ProcessingRequest, ProcessingResponse> Process = new(
        MethodType.DuplexStreaming,
        ExtProcNames.ServiceName,
        "Process",
        Marshallers.Create(m => m.ToByteArray(), ProcessingRequest.Parser.ParseFrom),
        Marshallers.Create(m => m.ToByteArray(), ProcessingResponse.Parser.ParseFrom));

    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<ProcessingRequest, ProcessingResponse> _call;
    private readonly TimeSpan _timeout;

    public EnvoyClient(int port, TimeSpan timeout)
        : this(GrpcChannel.ForAddress($"http://127.0.0.1:{port}"), timeout)
    {
    }

    /// <summary>Over a channel of the caller's (e.g. TLS to an endpoint picker serving <c>--secure-serving</c>); disposed with this.</summary>
    public EnvoyClient(GrpcChannel channel, TimeSpan timeout)
    {
        _timeout = timeout;
        _channel = channel;
        _call = _channel.CreateCallInvoker().AsyncDuplexStreamingCall(Process, null, new CallOptions(deadline: DateTime.UtcNow.Add(timeout)));
    }

    public Task SendAsync(ProcessingRequest request) => _call.RequestStream.WriteAsync(request).WaitAsync(_timeout);

    public Task SendRequestHeadersAsync(string method, string path, bool endOfStream, Metadata? metadata = null, params (string Key, string Value)[] extraHeaders) =>
        SendRequestHeadersAsync(method, path, endOfStream, protocol: null, metadata, extraHeaders);

    /// <summary>With the body mode Envoy announces on a stream's first message (<c>protocol_config</c>).</summary>
    public Task SendRequestHeadersAsync(string method, string path, bool endOfStream, ProtocolConfiguration? protocol, Metadata? metadata = null, params (string Key, string Value)[] extraHeaders) => SendAsync(new ProcessingRequest
    {
        ProtocolConfig = protocol,
        RequestHeaders = new HttpHeaders
        {
            Headers = HeaderMap([(":method", method), (":path", path), (":authority", "gateway"), ("content-type", "application/json"), ("x-request-id", "req-1"), .. extraHeaders]),
            EndOfStream = endOfStream,
        },
        MetadataContext = metadata,
    });

    /// <summary>
    /// The replica's response headers as Envoy reports them; <paramref name="servedEndpoint"/> is the endpoint that served
    /// the request (<see cref="Served"/>), <paramref name="observabilityMode"/> marks a message that expects no answer.
    /// </summary>
    public Task SendResponseHeadersAsync(string? servedEndpoint = null, bool endOfStream = false, bool observabilityMode = false, params (string Key, string Value)[] extraHeaders) => SendAsync(new ProcessingRequest
    {
        ResponseHeaders = new HttpHeaders { Headers = HeaderMap([(":status", "200"), .. extraHeaders]), EndOfStream = endOfStream },
        MetadataContext = servedEndpoint is null ? null : Served(servedEndpoint),
        ObservabilityMode = observabilityMode,
    });

    public async Task SendBodyAsync(byte[] body, int chunkSize, Metadata? metadata = null)
    {
        for (var offset = 0; offset < body.Length; offset += chunkSize)
        {
            var length = Math.Min(chunkSize, body.Length - offset);
            var last = offset + length >= body.Length;
            await SendAsync(new ProcessingRequest
            {
                RequestBody = new HttpBody { Body = ByteString.CopyFrom(body, offset, length), EndOfStream = last },
                MetadataContext = last ? metadata : null,
            });
        }
    }

    /// <summary>The next message from the scheduler, or null when it ended the stream.</summary>
    public async Task<ProcessingResponse?> ReceiveAsync()
    {
        var more = await _call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(_timeout);
        return more ? _call.ResponseStream.Current : null;
    }

    public Task CompleteAsync() => _call.RequestStream.CompleteAsync().WaitAsync(_timeout);

    /// <summary>Resets the stream (RST_STREAM), as a proxy does when the downstream connection breaks.</summary>
    public void Reset() => _call.Dispose();

    public static HeaderMap HeaderMap(params (string Key, string Value)[] headers)
    {
        var map = new HeaderMap();
        foreach (var (key, value) in headers)
        {
            map.Headers.Add(new HeaderValue { Key = key, RawValue = ByteString.CopyFromUtf8(value) });
        }

        return map;
    }

    public static Metadata SubsetHint(params string[] endpoints)
    {
        var list = new ListValue();
        list.Values.AddRange(endpoints.Select(Value.ForString));
        var hint = new Struct();
        hint.Fields[ExtProcNames.SubsetHintKey] = Value.ForList([.. list.Values]);
        var metadata = new Metadata();
        metadata.FilterMetadata[ExtProcNames.SubsetHintNamespace] = hint;
        return metadata;
    }

    public static Metadata Served(string endpoint)
    {
        var lb = new Struct();
        lb.Fields[ExtProcNames.ServedEndpoint] = Value.ForString(endpoint);
        var metadata = new Metadata();
        metadata.FilterMetadata[ExtProcNames.LbNamespace] = lb;
        return metadata;
    }

    /// <summary>The endpoints the picker chose, in its order of preference, from its answer to the request headers.</summary>
    public static string[] PickedEndpoints(ProcessingResponse headersAnswer) =>
        Header(headersAnswer.RequestHeaders.Response.HeaderMutation, ExtProcNames.DestinationEndpoint).Split(',');

    public static string Header(HeaderMutation mutation, string key) =>
        mutation.SetHeaders.Single(h => string.Equals(h.Header.Key, key, StringComparison.OrdinalIgnoreCase)) is var option && option.Header.RawValue.IsEmpty
            ? option.Header.Value
            : Encoding.UTF8.GetString(option.Header.RawValue.Span);

    public ValueTask DisposeAsync()
    {
        _call.Dispose();
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
