using System.Collections.Concurrent;
using System.Net;
using Envoy.Config.Core.V3;
using Envoy.Service.ExtProc.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PatternOne.Tests.Gateway.Support;

/// <summary>
/// An ext_proc server on loopback that behaves as the endpoint picker protocol says (headers answered after the body;
/// then each chunk acknowledged in STREAMED mode, or the body re-emitted in ≤ 62,000-byte chunks in FULL_DUPLEX_STREAMED
/// mode or when the test replaces it) and records every stream; the test chooses its answer.
/// </summary>
internal sealed class FakeEndpointPicker : ExternalProcessor.ExternalProcessorBase, IAsyncDisposable
{
    public const int ChunkLimit = 62_000;
    private WebApplication? _app;

    /// <summary>What to answer once the request's headers and body are in.</summary>
    public Func<PickerStream, PickerAnswer> Answer { get; set; } = _ => PickerAnswer.Hang();

    /// <summary>
    /// The streams that carried a request: one is counted when its first message arrives, so a call the gateway opened
    /// ahead of a request and never used (only its HEADERS sent) is not one. <see cref="CallsOpened"/> counts those too.
    /// </summary>
    public ConcurrentQueue<PickerStream> Streams { get; } = new();

    private int _callsOpened;
    private int _openCalls;
    private int _idleCalls;

    /// <summary>Every ext_proc call that reached the service, used or not.</summary>
    public int CallsOpened => Volatile.Read(ref _callsOpened);

    /// <summary>Calls in progress: used ones not yet ended, and idle ones.</summary>
    public int OpenCalls => Volatile.Read(ref _openCalls);

    /// <summary>Calls open that have not received a message yet (opened ahead of a request).</summary>
    public int IdleCalls => Volatile.Read(ref _idleCalls);

    public string Address { get; private set; } = "";

    /// <param name="port">0: one the OS picks; a port a stopped picker used: the same picker restarted.</param>
    public static async Task<FakeEndpointPicker> StartAsync(int port = 0)
    {
        var picker = new FakeEndpointPicker();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(picker);
        var app = builder.Build();
        app.MapGrpcService<FakeEndpointPicker>();
        await app.StartAsync().WaitAsync(TestTimeouts.Start);
        picker._app = app;
        picker.Address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return picker;
    }

    /// <summary>Stops as a crashing picker would: every connection and stream is cut at once, nothing drains.</summary>
    public async Task CrashAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(new CancellationToken(canceled: true)).WaitAsync(TestTimeouts.Start);
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(TestTimeouts.Start);
            await _app.DisposeAsync();
        }
    }

    public override async Task Process(IAsyncStreamReader<ProcessingRequest> requestStream, IServerStreamWriter<ProcessingResponse> responseStream,
        ServerCallContext context)
    {
        var stream = new PickerStream { CallOrdinal = Interlocked.Increment(ref _callsOpened) };
        Interlocked.Increment(ref _openCalls);
        Interlocked.Increment(ref _idleCalls);
        var idle = true;
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                var request = requestStream.Current;
                if (idle)
                {
                    idle = false;
                    Interlocked.Decrement(ref _idleCalls);
                    Streams.Enqueue(stream);
                }

                stream.Messages.Enqueue(request.RequestCase);
                switch (request.RequestCase)
                {
                    case ProcessingRequest.RequestOneofCase.RequestHeaders:
                        stream.ProtocolConfig = request.ProtocolConfig;
                        foreach (var header in request.RequestHeaders.Headers.Headers)
                        {
                            stream.Headers[header.Key] = header.RawValue.IsEmpty ? header.Value : header.RawValue.ToStringUtf8();
                        }

                        if (request.RequestHeaders.EndOfStream && !await AnswerAsync(stream, responseStream, context.CancellationToken))
                        {
                            return;
                        }

                        break;

                    case ProcessingRequest.RequestOneofCase.RequestBody:
                        stream.Chunks.Add(request.RequestBody.Body.ToByteArray());
                        if (request.RequestBody.EndOfStream)
                        {
                            stream.LastChunkHadEndOfStream = true;
                            if (!await AnswerAsync(stream, responseStream, context.CancellationToken))
                            {
                                return;
                            }
                        }

                        break;

                    case ProcessingRequest.RequestOneofCase.ResponseHeaders:
                        stream.ResponseStatus = request.ResponseHeaders.Headers.Headers.FirstOrDefault(h => h.Key == ":status")?.RawValue.ToStringUtf8();
                        stream.ResponseHeadersObserved = request.ObservabilityMode;
                        if (request.MetadataContext?.FilterMetadata.TryGetValue("envoy.lb", out var lb) == true
                            && lb.Fields.TryGetValue("x-gateway-destination-endpoint-served", out var served))
                        {
                            stream.ServedEndpoint = served.StringValue;
                        }

                        // Answered even in observability mode, as a picker that ignores the flag would: the gateway
                        // must not be confused by a reply it did not ask for.
                        var mutation = new HeaderMutation();
                        mutation.SetHeaders.Add(new HeaderValueOption { Header = new HeaderValue { Key = "x-picker-response-phase", RawValue = ByteString.CopyFromUtf8("seen") } });
                        await responseStream.WriteAsync(new ProcessingResponse
                        {
                            ResponseHeaders = new HeadersResponse { Response = new CommonResponse { HeaderMutation = mutation } },
                        });
                        break;
                }
            }

            stream.Completed.TrySetResult();
        }
        catch (OperationCanceledException)
        {
            stream.Completed.TrySetResult();
        }
        catch (IOException)
        {
            stream.Completed.TrySetResult();
        }
        finally
        {
            if (idle)
            {
                Interlocked.Decrement(ref _idleCalls);
            }

            Interlocked.Decrement(ref _openCalls);
        }
    }

    /// <returns>Whether the stream goes on (false after an immediate response).</returns>
    private async Task<bool> AnswerAsync(PickerStream stream, IServerStreamWriter<ProcessingResponse> responseStream, CancellationToken cancellationToken)
    {
        var answer = Answer(stream);
        switch (answer.Kind)
        {
            case PickerAnswerKind.Hang:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return false;

            case PickerAnswerKind.Immediate:
                var headers = new HeaderMutation();
                foreach (var (name, value) in answer.Headers)
                {
                    headers.SetHeaders.Add(new HeaderValueOption { Header = new HeaderValue { Key = name, RawValue = ByteString.CopyFromUtf8(value) } });
                }

                await responseStream.WriteAsync(new ProcessingResponse
                {
                    ImmediateResponse = new ImmediateResponse
                    {
                        Status = new Envoy.Type.V3.HttpStatus { Code = (Envoy.Type.V3.StatusCode)answer.Status },
                        Headers = headers,
                        Body = ByteString.CopyFromUtf8(answer.Body),
                    },
                }, cancellationToken);
                stream.Completed.TrySetResult();
                return false;
        }

        var mutation = new HeaderMutation();
        mutation.SetHeaders.Add(new HeaderValueOption
        {
            Header = new HeaderValue { Key = "x-gateway-destination-endpoint", RawValue = ByteString.CopyFromUtf8(answer.Endpoints) },
        });
        mutation.SetHeaders.Add(new HeaderValueOption { Header = new HeaderValue { Key = "x-picked-by", RawValue = ByteString.CopyFromUtf8("fake-picker") } });
        var lb = new Struct();
        lb.Fields["x-gateway-destination-endpoint"] = Value.ForString(answer.Endpoints);
        var metadata = new Struct();
        metadata.Fields["envoy.lb"] = Value.ForStruct(lb);
        await responseStream.WriteAsync(new ProcessingResponse
        {
            RequestHeaders = new HeadersResponse { Response = new CommonResponse { ClearRouteCache = true, HeaderMutation = mutation } },
            DynamicMetadata = metadata,
        }, cancellationToken);

        if (stream.Chunks.Count == 0)
        {
            return true;
        }

        if (answer.ReplacementBody is null
            && stream.ProtocolConfig?.RequestBodyMode == Envoy.Extensions.Filters.Http.ExtProc.V3.ProcessingMode.Types.BodySendMode.Streamed)
        {
            // STREAMED: the proxy keeps the body; every chunk is acknowledged without a mutation, as our scheduler does.
            foreach (var _ in stream.Chunks)
            {
                await responseStream.WriteAsync(new ProcessingResponse { RequestBody = new BodyResponse { Response = new CommonResponse() } }, cancellationToken);
            }

            return true;
        }

        var body = answer.ReplacementBody ?? stream.Body;
        for (var offset = 0; offset < body.Length || offset == 0; offset += ChunkLimit)
        {
            var length = Math.Min(ChunkLimit, body.Length - offset);
            await responseStream.WriteAsync(new ProcessingResponse
            {
                RequestBody = new BodyResponse
                {
                    Response = new CommonResponse
                    {
                        BodyMutation = new BodyMutation
                        {
                            StreamedResponse = new StreamedBodyResponse
                            {
                                Body = ByteString.CopyFrom(body, offset, length),
                                EndOfStream = offset + length >= body.Length,
                            },
                        },
                    },
                },
            }, cancellationToken);
            if (offset + length >= body.Length)
            {
                break;
            }
        }

        return true;
    }
}

internal enum PickerAnswerKind
{
    Route,
    Immediate,
    Hang,
}

internal sealed record PickerAnswer(PickerAnswerKind Kind)
{
    public string Endpoints { get; init; } = "";
    public byte[]? ReplacementBody { get; init; }
    public int Status { get; init; }
    public string Body { get; init; } = "";
    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];

    public static PickerAnswer Route(string endpoints, byte[]? replacementBody = null) =>
        new(PickerAnswerKind.Route) { Endpoints = endpoints, ReplacementBody = replacementBody };

    public static PickerAnswer Immediate(int status, string body, params (string Name, string Value)[] headers) =>
        new(PickerAnswerKind.Immediate) { Status = status, Body = body, Headers = headers };

    public static PickerAnswer Hang() => new(PickerAnswerKind.Hang);
}

/// <summary>What the picker saw on one ext_proc stream.</summary>
internal sealed class PickerStream
{
    /// <summary>The order in which the call reached the picker (1 = first), whether it carried a request then or later.</summary>
    public int CallOrdinal { get; init; }

    /// <summary>The messages of the stream, in order.</summary>
    public ConcurrentQueue<ProcessingRequest.RequestOneofCase> Messages { get; } = new();

    public ConcurrentDictionary<string, string> Headers { get; } = new(StringComparer.Ordinal);
    public List<byte[]> Chunks { get; } = [];
    public bool LastChunkHadEndOfStream { get; set; }
    public ProtocolConfiguration? ProtocolConfig { get; set; }
    public string? ResponseStatus { get; set; }
    public string? ServedEndpoint { get; set; }

    /// <summary>The response headers came with <c>observability_mode</c>: the gateway did not wait for an answer.</summary>
    public bool ResponseHeadersObserved { get; set; }
    public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public byte[] Body => Chunks.SelectMany(c => c).ToArray();
}
