using System.Buffers;
using Google.Protobuf;

namespace PatternOne.Scheduler.ExtProc;

/// <summary>
/// The request body as the chunks Envoy sent, kept as-is: parsing reads them as one <see cref="ReadOnlySequence{T}"/>
/// and re-emission sends them back without ever concatenating (a 220 KB prompt is never copied).
/// </summary>
internal sealed class BodyBuffer
{
    private readonly List<ByteString> _chunks = [];

    public long Length { get; private set; }

    public IReadOnlyList<ByteString> Chunks => _chunks;

    public void Append(ByteString chunk)
    {
        if (chunk.Length == 0)
        {
            return;
        }

        _chunks.Add(chunk);
        Length += chunk.Length;
    }

    public ReadOnlySequence<byte> AsSequence()
    {
        if (_chunks.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        if (_chunks.Count == 1)
        {
            return new ReadOnlySequence<byte>(_chunks[0].Memory);
        }

        var first = new Segment(_chunks[0].Memory, 0);
        var last = first;
        for (var i = 1; i < _chunks.Count; i++)
        {
            last = last.Append(_chunks[i].Memory);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>The body cut into pieces of at most <paramref name="limit"/> bytes, in order.</summary>
    public IEnumerable<ByteString> Pieces(int limit)
    {
        foreach (var chunk in _chunks)
        {
            if (chunk.Length <= limit)
            {
                yield return chunk;
                continue;
            }

            for (var offset = 0; offset < chunk.Length; offset += limit)
            {
                yield return ByteString.CopyFrom(chunk.Span.Slice(offset, Math.Min(limit, chunk.Length - offset)));
            }
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
