using PatternOne.Gateway.Picking;

namespace PatternOne.Tests.Gateway.Picking;

public class HeldFlushStreamTests
{
    [Fact]
    public async Task SmallRequestPhase_IsOneWriteOfEveryMessageInOrder_ThenOneFlush()
    {
        var inner = new RecordingStream();
        var batch = new RequestPhaseBatch();
        var stream = new HeldFlushStream(inner, batch);

        await stream.FlushAsync();            // gRPC's flush of the HTTP/2 HEADERS
        await stream.WriteAsync(Bytes(1, 300));
        await stream.FlushAsync();
        await stream.WriteAsync(Bytes(2, 200));
        await stream.FlushAsync();
        batch.LastWriteFollows();
        await stream.WriteAsync(Bytes(3, 100));
        await stream.FlushAsync();

        Assert.Equal(["write 600", "flush"], inner.Events);
        Assert.Equal([.. Bytes(1, 300), .. Bytes(2, 200), .. Bytes(3, 100)], inner.Written);
    }

    [Fact]
    public async Task AfterTheRequestPhase_EveryWriteAndFlushPassesThrough()
    {
        var inner = new RecordingStream();
        var batch = new RequestPhaseBatch();
        var stream = new HeldFlushStream(inner, batch);
        batch.LastWriteFollows();
        await stream.WriteAsync(Bytes(1, 50));
        await stream.FlushAsync();

        await stream.WriteAsync(Bytes(2, 70));  // response_headers in the response phase
        await stream.FlushAsync();
        await stream.WriteAsync(Bytes(3, 20));
        await stream.FlushAsync();

        Assert.Equal(["write 50", "flush", "write 70", "flush", "write 20", "flush"], inner.Events);
    }

    [Fact]
    public async Task AMessageTooBigToJoin_WhatIsHeldGoesFirstAndFlushed_ThenTheMessageAsGrpcWroteIt()
    {
        var inner = new RecordingStream();
        var batch = new RequestPhaseBatch();
        var stream = new HeldFlushStream(inner, batch);
        await stream.FlushAsync();
        await stream.WriteAsync(Bytes(1, 400));
        await stream.FlushAsync();

        var big = Bytes(2, RequestPhaseBatch.MaxHeldBytes);
        await stream.WriteAsync(big);          // would make the held bytes exceed the limit
        await stream.FlushAsync();
        batch.LastWriteFollows();
        await stream.WriteAsync(Bytes(3, 100));
        await stream.FlushAsync();

        Assert.Equal(["write 400", "flush", $"write {big.Length}", "flush", "write 100", "flush"], inner.Events);
        Assert.Equal([.. Bytes(1, 400), .. big, .. Bytes(3, 100)], inner.Written);
    }

    [Fact]
    public async Task ALastMessageTooBigToJoin_FollowsWhatIsHeldInItsOwnWrite()
    {
        var inner = new RecordingStream();
        var batch = new RequestPhaseBatch();
        var stream = new HeldFlushStream(inner, batch);
        await stream.WriteAsync(Bytes(1, 400));
        await stream.FlushAsync();
        batch.LastWriteFollows();

        var last = Bytes(2, 62_005);           // one full ext_proc body chunk with its gRPC prefix
        await stream.WriteAsync(last);
        await stream.FlushAsync();

        Assert.Equal(["write 400", "flush", $"write {last.Length}", "flush"], inner.Events);
        Assert.Equal([.. Bytes(1, 400), .. last], inner.Written);
    }

    [Fact]
    public async Task HeldBytes_AreCopied_SoTheCallerMayReuseItsBuffer()
    {
        // gRPC serializes every message into the same buffer and reuses it once the write returns.
        var inner = new RecordingStream();
        var batch = new RequestPhaseBatch();
        var stream = new HeldFlushStream(inner, batch);
        var buffer = Bytes(1, 64);

        await stream.WriteAsync(buffer);
        Array.Fill(buffer, (byte)0xEE);
        batch.LastWriteFollows();
        await stream.WriteAsync(Bytes(2, 8));
        await stream.FlushAsync();

        Assert.Equal([.. Bytes(1, 64), .. Bytes(2, 8)], inner.Written);
    }

    private static byte[] Bytes(byte seed, int length) =>
        Enumerable.Range(0, length).Select(i => (byte)(seed * 31 + i)).ToArray();

    /// <summary>Stands in for the HTTP/2 request stream: one event per write or flush it is asked for.</summary>
    private sealed class RecordingStream : MemoryStream
    {
        public List<string> Events { get; } = [];

        public List<byte> Written => [.. ToArray()];

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Events.Add($"write {buffer.Length}");
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Events.Add("flush");
            return Task.CompletedTask;
        }
    }
}
