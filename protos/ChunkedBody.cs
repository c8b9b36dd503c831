using System.Buffers;

namespace PatternOne.ExtProcContract;

/// <summary>
/// A request body held as the chunks it arrived in (ext_proc messages of at most <see cref="ExtProcNames.BodyByteLimit"/>
/// bytes), seen as one <see cref="ReadOnlySequence{T}"/> without copying it into one large array — a 220 KB body
/// allocated whole would land on the large-object heap.
/// </summary>
public static class ChunkedBody
{
    /// <summary>The chunks, in order, as one sequence.</summary>
    public static ReadOnlySequence<byte> AsSequence<T>(IReadOnlyList<T> chunks, Func<T, ReadOnlyMemory<byte>> memoryOf)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(memoryOf);
        if (chunks.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        if (chunks.Count == 1)
        {
            return new ReadOnlySequence<byte>(memoryOf(chunks[0]));
        }

        var first = new Segment(memoryOf(chunks[0]), 0);
        var last = first;
        for (var i = 1; i < chunks.Count; i++)
        {
            last = last.Append(memoryOf(chunks[i]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
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
