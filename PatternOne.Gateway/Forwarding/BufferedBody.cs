using System.Buffers;
using System.Text.Json;

namespace PatternOne.Gateway.Forwarding;

/// <summary>
/// A request body read once, kept as segments of at most <see cref="SegmentSize"/> bytes. The segments are exactly the
/// ext_proc <c>request_body</c> chunks (Envoy's 62,000-byte limit), none reaches the large-object heap (85 KB), the
/// arrays come from the shared pool, and the forwarder replays them to each endpoint it tries.
/// </summary>
public sealed class BufferedBody : IDisposable
{
    /// <summary>Upstream's <c>BodyByteLimit</c>: the largest body chunk in one ext_proc message.</summary>
    public const int SegmentSize = 62_000;

    private readonly List<byte[]>? _rented;
    private bool _disposed;

    private BufferedBody(List<ReadOnlyMemory<byte>> segments, long length, List<byte[]>? rented)
    {
        Segments = segments;
        Length = length;
        _rented = rented;
    }

    /// <summary>The body's bytes in order; each at most <see cref="SegmentSize"/> long, none empty.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Segments { get; }

    public long Length { get; }

    public static BufferedBody Empty { get; } = new([], 0, null);

    /// <summary>Wraps segments someone else owns (the picker's re-emitted body).</summary>
    public static BufferedBody FromSegments(IEnumerable<ReadOnlyMemory<byte>> segments)
    {
        var list = segments.Where(s => !s.IsEmpty).ToList();
        return new BufferedBody(list, list.Sum(s => (long)s.Length), rented: null);
    }

    /// <summary>Reads <paramref name="body"/> to its end; null when it is longer than <paramref name="maxLength"/>.</summary>
    public static async Task<BufferedBody?> ReadAsync(Stream body, long maxLength, CancellationToken cancellationToken)
    {
        var rented = new List<byte[]>();
        var segments = new List<ReadOnlyMemory<byte>>();
        long length = 0;
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(SegmentSize);
                rented.Add(buffer);
                var filled = 0;
                int read;
                do
                {
                    read = await body.ReadAsync(buffer.AsMemory(filled, SegmentSize - filled), cancellationToken);
                    filled += read;
                }
                while (read > 0 && filled < SegmentSize);

                length += filled;
                if (length > maxLength)
                {
                    ReturnAll(rented);
                    return null;
                }

                if (filled > 0)
                {
                    segments.Add(buffer.AsMemory(0, filled));
                }

                if (read == 0)
                {
                    return new BufferedBody(segments, length, rented);
                }
            }
        }
        catch
        {
            ReturnAll(rented);
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
        if (_rented is not null)
        {
            ReturnAll(_rented);
        }
    }

    private static void ReturnAll(List<byte[]> rented)
    {
        foreach (var buffer in rented)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        rented.Clear();
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
