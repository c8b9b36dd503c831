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

    /// <summary>Lets the chunks go once they were sent back.</summary>
    public void Clear()
    {
        _chunks.Clear();
        Length = 0;
    }

    public ReadOnlySequence<byte> AsSequence() => ChunkedBody.AsSequence(_chunks, static chunk => chunk.Memory);

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

}
