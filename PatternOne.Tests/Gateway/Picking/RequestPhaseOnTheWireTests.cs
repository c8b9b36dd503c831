using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Envoy.Service.ExtProc.V3;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PatternOne.Gateway;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Forwarding;
using PatternOne.Gateway.Observability;
using PatternOne.Gateway.Picking;
using PatternOne.Tests.Gateway.Support;

namespace PatternOne.Tests.Gateway.Picking;

/// <summary>
/// The ext_proc request phase as the gateway's socket sends it: the HTTP/2 frames of every write on the picker
/// connection, recorded below the HTTP/2 client.
/// </summary>
public sealed class RequestPhaseOnTheWireTests : IAsyncLifetime
{
    private const int FrameHeaderSize = 9;
    private const byte DataFrame = 0x0;
    private const byte HeadersFrame = 0x1;
    private static readonly byte[] Preface = Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

    private readonly ConcurrentQueue<byte[]> _writes = new();
    private readonly ConcurrentQueue<Type> _transports = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private FakeEndpointPicker _picker = null!;
    private ExtProcEndpointPickerClient _client = null!;
    private GatewayPoolOptions _pool = null!;

    public async Task InitializeAsync()
    {
        _picker = await FakeEndpointPicker.StartAsync();
        _picker.Answer = _ => PickerAnswer.Route("10.0.0.1:8000");
        _client = new ExtProcEndpointPickerClient(TimeProvider.System, new GatewayMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            NullLogger<ExtProcEndpointPickerClient>.Instance)
        {
            WireFilter = RecordWrites,
        };
        _pool = new GatewayPoolOptions { Name = "pool", EndpointPicker = _picker.Address, PickerTimeout = TestTimeouts.Request };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _picker.DisposeAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task SmallRequest_HeadersFrameAndBothMessagesLeaveInOneWrite()
    {
        // The first pick opens the connection (preface, SETTINGS and their acknowledgements); the second is the
        // steady state every later request sees.
        await PickAndFinishAsync(Body(300));
        _writes.Clear();

        await PickAndFinishAsync(Body(300));

        var messages = RequestPhaseWrite();
        Assert.Equal(2, messages.Count);
        AssertOnGrpcsSocketTransport();
        Assert.Equal(ProcessingRequest.RequestOneofCase.RequestHeaders, messages[0].RequestCase);
        Assert.False(messages[0].RequestHeaders.EndOfStream);
        Assert.Equal(ProcessingRequest.RequestOneofCase.RequestBody, messages[1].RequestCase);
        Assert.True(messages[1].RequestBody.EndOfStream);
    }

    [Fact]
    public async Task BodylessRequest_HeadersFrameAndItsOnlyMessageLeaveInOneWrite()
    {
        await PickAndFinishAsync(Body(300));
        _writes.Clear();

        await PickAndFinishAsync(body: null);

        var message = Assert.Single(RequestPhaseWrite());
        Assert.True(message.RequestHeaders.EndOfStream);
    }

    [Fact]
    public async Task BodyInManyChunks_ThePickerGetsEveryChunkInOrder()
    {
        // Past what is held: 62,000-byte chunks go out as gRPC writes them, after what was held.
        var chunks = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 62_000).Select(b => (byte)(i * 7 + b)).ToArray()).ToList();

        await PickAndFinishAsync(BufferedBody.FromSegments([.. chunks.Select(c => (ReadOnlyMemory<byte>)c)]));

        var stream = _picker.Streams.Last();
        Assert.Equal(chunks.Count, stream.Chunks.Count);
        for (var i = 0; i < chunks.Count; i++)
        {
            Assert.Equal(chunks[i], stream.Chunks[i]);
        }

        Assert.True(stream.LastChunkHadEndOfStream);
        Assert.Equal("200", stream.ResponseStatus);
    }

    private async Task PickAndFinishAsync(BufferedBody? body)
    {
        var headers = new List<KeyValuePair<string, string>> { new(":method", "POST"), new(":path", "/v1/chat/completions"), new("content-type", "application/json") };
        var result = await _client.PickAsync(new PickRequest(_pool, headers, body), CancellationToken.None).AsTask().WaitAsync(TestTimeouts.Request);
        Assert.Equal(PickStatus.Picked, result.Status);
        var exchange = result.Exchange!;
        await exchange.ResponseHeadersAsync(200, [new("content-type", "application/json")], new EndpointAddress("10.0.0.1", 8000), endOfStream: true, CancellationToken.None);
        await exchange.DisposeAsync();
        await _picker.Streams.Last().Completed.Task.WaitAsync(TestTimeouts.Request);
    }

    /// <summary>
    /// The messages of the one write that carries the request_headers message. The stream's HEADERS frame must be in
    /// it too, unless a frame the connection sends of its own accord (PING, WINDOW_UPDATE, SETTINGS ack: each flushes
    /// the connection's buffer) took it out earlier — then that write has such a frame, and nothing of the gateway's
    /// made it leave alone.
    /// </summary>
    private List<ProcessingRequest> RequestPhaseWrite()
    {
        var writes = _writes.Select(Frames).ToList();
        var withHeaders = Assert.Single(writes, frames => frames.Any(f => f.Type == HeadersFrame));
        var streamId = withHeaders.Single(f => f.Type == HeadersFrame).StreamId;
        var withRequestHeaders = Assert.Single(writes, frames =>
            GrpcMessages(frames.Where(f => f.Type == DataFrame && f.StreamId == streamId))
                .Any(m => m.RequestCase == ProcessingRequest.RequestOneofCase.RequestHeaders));
        Assert.True(ReferenceEquals(withHeaders, withRequestHeaders) || withHeaders.Any(f => f.StreamId == 0),
            "the HEADERS frame left in a write of its own: " + string.Join(", ", withHeaders.Select(f => $"type {f.Type} stream {f.StreamId}")));
        return GrpcMessages(withRequestHeaders.Where(f => f.Type == DataFrame && f.StreamId == streamId));
    }

    /// <summary>
    /// The connection under the recording came from Grpc.Net.Client's socket transport (its stream type is Grpc's),
    /// not from SocketsHttpHandler's own connect, which the custom-transport path uses.
    /// </summary>
    private void AssertOnGrpcsSocketTransport()
    {
        var transport = Assert.Single(_transports);
        Assert.True(transport.Assembly == typeof(Grpc.Net.Client.GrpcChannel).Assembly,
            $"the picker connection was opened outside Grpc.Net.Client's socket transport (its stream is a {transport.FullName})");
    }

    private static BufferedBody Body(int length) =>
        BufferedBody.FromSegments([Encoding.UTF8.GetBytes("{\"model\":\"m\",\"prompt\":\"" + new string('p', length) + "\"}")]);

    private static List<Frame> Frames(byte[] write)
    {
        var frames = new List<Frame>();
        var offset = write.AsSpan().StartsWith(Preface) ? Preface.Length : 0;
        while (offset + FrameHeaderSize <= write.Length)
        {
            var length = (write[offset] << 16) | (write[offset + 1] << 8) | write[offset + 2];
            var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(write.AsSpan(offset + 5)) & 0x7FFFFFFF);
            frames.Add(new Frame(write[offset + 3], streamId, write.AsMemory(offset + FrameHeaderSize, length)));
            offset += FrameHeaderSize + length;
        }

        Assert.Equal(write.Length, offset);
        return frames;
    }

    /// <summary>gRPC's length-prefixed messages (1 byte compressed flag, 4 bytes big-endian length) in DATA frames.</summary>
    private static List<ProcessingRequest> GrpcMessages(IEnumerable<Frame> dataFrames)
    {
        var bytes = dataFrames.SelectMany(f => f.Payload.ToArray()).ToArray();
        var messages = new List<ProcessingRequest>();
        var offset = 0;
        while (offset < bytes.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 1));
            messages.Add(ProcessingRequest.Parser.ParseFrom(bytes, offset + 5, length));
            offset += 5 + length;
        }

        return messages;
    }

    /// <summary>
    /// Wraps the connection the channel's own socket transport opened — Grpc.Net.Client's, as in production (a connect
    /// callback would put the channel on its custom-transport path) — so every write is kept as the socket gets it.
    /// </summary>
    private ValueTask<Stream> RecordWrites(SocketsHttpPlaintextStreamFilterContext context, CancellationToken cancellationToken)
    {
        _transports.Enqueue(context.PlaintextStream.GetType());
        return ValueTask.FromResult<Stream>(new RecordingStream(context.PlaintextStream, _writes));
    }

    private sealed record Frame(byte Type, int StreamId, ReadOnlyMemory<byte> Payload);

    /// <summary>The connection's stream, unchanged but for a copy of each write the HTTP/2 client makes, kept whole.</summary>
    private sealed class RecordingStream(Stream inner, ConcurrentQueue<byte[]> writes) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            writes.Enqueue(buffer.ToArray());
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            writes.Enqueue(buffer.ToArray());
            inner.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
