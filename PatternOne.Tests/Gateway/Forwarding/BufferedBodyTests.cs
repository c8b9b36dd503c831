using System.Text;
using PatternOne.Gateway.Forwarding;

namespace PatternOne.Tests.Gateway.Forwarding;

public class BufferedBodyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(62_000)]
    [InlineData(62_001)]
    [InlineData(225_279)]
    public async Task ReadAsync_KeepsEveryByteInSegmentsOfAtMost62000(int length)
    {
        var bytes = Enumerable.Range(0, length).Select(i => (byte)(i * 31)).ToArray();
        // A stream that hands out odd-sized pieces, as a socket does.
        using var source = new TrickleStream(bytes, 7_777);

        using var body = await BufferedBody.ReadAsync(source, maxLength: 1 << 20, CancellationToken.None);

        Assert.NotNull(body);
        Assert.Equal(length, body.Length);
        Assert.All(body.Segments, s => Assert.InRange(s.Length, 1, BufferedBody.SegmentSize));
        Assert.Equal((length + BufferedBody.SegmentSize - 1) / BufferedBody.SegmentSize, body.Segments.Count);
        Assert.Equal(bytes, body.Segments.SelectMany(s => s.ToArray()).ToArray());
        using var replay = new MemoryStream();
        await body.OpenRead().CopyToAsync(replay);
        Assert.Equal(bytes, replay.ToArray());
    }

    [Fact]
    public async Task ReadAsync_KeepsALargeBodyOutsideTheGcHeap()
    {
        // A 4 MiB body: on the GC heap it would be 68 arrays of 62 KB, promoted while the upload lasts and dying in gen 2.
        var bytes = Enumerable.Range(0, 4 << 20).Select(i => (byte)(i * 7)).ToArray();
        using var source = new MemoryStream(bytes);

        // MemoryStream completes every read at once, so the whole read runs on this thread and its allocations count here.
        var before = GC.GetAllocatedBytesForCurrentThread();
        using var body = await BufferedBody.ReadAsync(source, maxLength: 16 << 20, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.NotNull(body);
        Assert.True(allocated < 256 << 10, $"{allocated} bytes allocated on the GC heap to buffer a {bytes.Length}-byte body");
        Assert.Equal(bytes, body.Segments.SelectMany(s => s.ToArray()).ToArray());
    }

    [Fact]
    public async Task Dispose_FreesALargeBody_AndItsSegmentsCannotBeReadAfterwards()
    {
        using var source = new MemoryStream(new byte[200_000]);
        var body = await BufferedBody.ReadAsync(source, maxLength: 1 << 20, CancellationToken.None);
        var last = body!.Segments[^1];

        body.Dispose();

        // Freed native memory is never handed out: reading it is an error, not whatever the allocator put there since.
        Assert.Throws<ObjectDisposedException>(() => last.Span.Length);
        body.Dispose();
    }

    [Fact]
    public async Task ReadAsync_ReturnsNullPastTheLimit()
    {
        using var source = new MemoryStream(new byte[1001]);

        var body = await BufferedBody.ReadAsync(source, maxLength: 1000, CancellationToken.None);

        Assert.Null(body);
    }

    [Theory]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", true)]
    [InlineData("  {\"a\":1}  ", true)]
    [InlineData("{\"a\":", false)]
    [InlineData("{\"a\":1}}", false)]
    [InlineData("[1,2]", false)]
    [InlineData("not json", false)]
    [InlineData("", false)]
    [InlineData("{\"a\":1} {\"b\":2}", false)]
    public async Task IsJsonObject_AcceptsExactlyOneObject(string text, bool valid)
    {
        using var source = new MemoryStream(Encoding.UTF8.GetBytes(text));
        using var body = await BufferedBody.ReadAsync(source, 1 << 20, CancellationToken.None);

        Assert.Equal(valid, body!.IsJsonObject(out var error));
        Assert.Equal(valid, error.Length == 0);
    }

    [Fact]
    public async Task IsJsonObject_ParsesAcrossSegmentBoundaries()
    {
        var json = "{\"prompt\":\"" + new string('x', 150_000) + "\",\"max_tokens\":5}";
        using var source = new MemoryStream(Encoding.UTF8.GetBytes(json));
        using var body = await BufferedBody.ReadAsync(source, 1 << 20, CancellationToken.None);

        Assert.True(body!.Segments.Count > 1);
        Assert.True(body.IsJsonObject(out _));
    }

    private sealed class TrickleStream(byte[] data, int piece) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, piece)], cancellationToken);
    }
}
