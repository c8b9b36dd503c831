using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace PatternOne.Gateway.Forwarding;

/// <summary>
/// A request body read once, kept as segments of at most <see cref="SegmentSize"/> bytes. The segments are exactly the
/// ext_proc <c>request_body</c> chunks (Envoy's 62,000-byte limit) and the forwarder replays them to each endpoint it
/// tries. The first segment (all of an ordinary chat request) is an array from the shared pool; the rest of a large body
/// lives outside the GC heap and is freed the moment the body is disposed. A 15 MiB prompt lives through its upload,
/// the pick and the forwarding, long enough for its arrays to be promoted to gen 2; pooled arrays beyond what the shared
/// pool keeps then died there, and the gateway carried ~80 MB of garbage after four of them until the next full
/// collection, minutes later (docs/soak-memory.md).
/// </summary>
public sealed class BufferedBody : IDisposable
{
    /// <summary>Upstream's <c>BodyByteLimit</c>: the largest body chunk in one ext_proc message.</summary>
    public const int SegmentSize = 62_000;

    private readonly byte[]? _pooled;
    private readonly List<NativeSegment>? _native;
    private bool _disposed;

    private BufferedBody(List<ReadOnlyMemory<byte>> segments, long length, byte[]? pooled, List<NativeSegment>? native)
    {
        Segments = segments;
        Length = length;
        _pooled = pooled;
        _native = native;
    }

    /// <summary>The body's bytes in order; each at most <see cref="SegmentSize"/> long, none empty.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Segments { get; }

    public long Length { get; }

    public static BufferedBody Empty { get; } = new([], 0, null, null);

    /// <summary>Wraps segments someone else owns (the picker's re-emitted body).</summary>
    public static BufferedBody FromSegments(IEnumerable<ReadOnlyMemory<byte>> segments)
    {
        var list = segments.Where(s => !s.IsEmpty).ToList();
        return new BufferedBody(list, list.Sum(s => (long)s.Length), pooled: null, native: null);
    }

    /// <summary>Reads <paramref name="body"/> to its end; null when it is longer than <paramref name="maxLength"/>.</summary>
    public static async Task<BufferedBody?> ReadAsync(Stream body, long maxLength, CancellationToken cancellationToken)
    {
        var pooled = ArrayPool<byte>.Shared.Rent(SegmentSize);
        List<NativeSegment>? native = null;
        var segments = new List<ReadOnlyMemory<byte>>();
        long length = 0;
        try
        {
            var buffer = pooled.AsMemory(0, SegmentSize);
            while (true)
            {
                var filled = 0;
                int read;
                do
                {
                    read = await body.ReadAsync(buffer[filled..], cancellationToken);
                    filled += read;
                }
                while (read > 0 && filled < SegmentSize);

                length += filled;
                if (length > maxLength)
                {
                    Release(pooled, native);
                    return null;
                }

                if (filled > 0)
                {
                    segments.Add(buffer[..filled]);
                }

                if (read == 0)
                {
                    return new BufferedBody(segments, length, pooled, native);
                }

                var next = new NativeSegment(SegmentSize);
                (native ??= []).Add(next);
                buffer = next.Memory;
            }
        }
        catch
        {
            Release(pooled, native);
            throw;
        }
    }

    /// <summary>A fresh read-only stream over the body, for one forwarding attempt.</summary>
    public Stream OpenRead() => new SegmentStream(Segments, Length);

    /// <summary>The body as one sequence, for the JSON check (no copy).</summary>
    public ReadOnlySequence<byte> AsSequence() => ChunkedBody.AsSequence(Segments, static segment => segment);

    /// <summary>Whether the body is one well-formed JSON object; <paramref name="error"/> says why not.</summary>
    public bool IsJsonObject(out string error)
    {
        var reader = new Utf8JsonReader(AsSequence(), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 128 });
        try
        {
            if (!reader.Read())
            {
                error = "the body is empty";
                return false;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error = "the body is not a JSON object";
                return false;
            }

            // Skip walks the whole object and throws on the first malformed token; trailing content throws on Read.
            reader.Skip();
            if (reader.Read())
            {
                error = "unexpected content after the JSON object";
                return false;
            }

            error = "";
            return true;
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_pooled is not null)
        {
            Release(_pooled, _native);
        }
    }

    private static void Release(byte[] pooled, List<NativeSegment>? native)
    {
        ArrayPool<byte>.Shared.Return(pooled);
        if (native is null)
        {
            return;
        }

        foreach (IDisposable segment in native)
        {
            segment.Dispose();
        }

        native.Clear();
    }

    /// <summary>
    /// One segment's bytes in native memory: the GC neither copies, promotes nor sweeps them, and they go back to the
    /// allocator on <see cref="IDisposable.Dispose"/>. After that <see cref="GetSpan"/> throws rather than handing out
    /// freed memory. No finalizer (CA2015: it could free the bytes under a span still in use): every body is read into a
    /// <c>using</c> (GatewayRequestHandler), so a body's lifetime is its request's.
    /// </summary>
    private sealed unsafe class NativeSegment : MemoryManager<byte>
    {
        private readonly int _length;
        private byte* _bytes;

        public NativeSegment(int length)
        {
            _length = length;
            _bytes = (byte*)NativeMemory.Alloc((nuint)length);
        }

        public override Span<byte> GetSpan()
        {
            ObjectDisposedException.ThrowIf(_bytes is null, this);
            return new Span<byte>(_bytes, _length);
        }

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ObjectDisposedException.ThrowIf(_bytes is null, this);
            return new MemoryHandle(_bytes + elementIndex);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            if (_bytes is not null)
            {
                NativeMemory.Free(_bytes);
                _bytes = null;
            }
        }
    }

    private sealed class SegmentStream(IReadOnlyList<ReadOnlyMemory<byte>> segments, long length) : Stream
    {
        private int _segment;
        private int _offset;
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var copied = 0;
            while (copied < buffer.Length && _segment < segments.Count)
            {
                var source = segments[_segment].Span[_offset..];
                var n = Math.Min(source.Length, buffer.Length - copied);
                source[..n].CopyTo(buffer[copied..]);
                copied += n;
                _offset += n;
                if (_offset == segments[_segment].Length)
                {
                    _segment++;
                    _offset = 0;
                }
            }

            _position += copied;
            return copied;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            cancellationToken.IsCancellationRequested
                ? ValueTask.FromCanceled<int>(cancellationToken)
                : ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
