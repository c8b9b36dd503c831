using System.Buffers;

namespace PatternOne.Gateway.Picking;

/// <summary>
/// The request stream of one ext_proc call as <see cref="RequestPhaseBatch"/> describes: until the request phase's
/// last message, writes are copied into a pooled buffer and flushes do nothing; that message's write sends the
/// buffer and the message to the HTTP/2 stream in one write, and from then on every write and flush passes through.
/// </summary>
internal sealed class HeldFlushStream(Stream inner, RequestPhaseBatch batch) : Stream
{
    private byte[]? _held;
    private int _heldLength;
    private bool _passThrough;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_passThrough)
        {
            return inner.WriteAsync(buffer, cancellationToken);
        }

        if (!batch.EndsWithNextWrite && _heldLength + buffer.Length <= RequestPhaseBatch.MaxHeldBytes)
        {
            Hold(buffer.Span);
            return ValueTask.CompletedTask;
        }

        return WriteThroughAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// Held, but for the flush before any message of a call opened ahead of its request: that one sends the HEADERS.
    /// </summary>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _passThrough || (batch.SendsHeadersAhead && _heldLength == 0) ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>gRPC writes only asynchronously; a blocking write here would be a bug, not a slow path.</summary>
    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The picker's request stream is written asynchronously only.");

    public override void Flush()
    {
        if (_passThrough || (batch.SendsHeadersAhead && _heldLength == 0))
        {
            inner.Flush();
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async ValueTask WriteThroughAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        _passThrough = true;
        if (_heldLength + buffer.Length <= RequestPhaseBatch.MaxHeldBytes)
        {
            // The last message of a small request phase joins what is held: one write, and gRPC's flush sends it.
            Hold(buffer.Span);
            buffer = ReadOnlyMemory<byte>.Empty;
        }

        if (_held is { } held)
        {
            try
            {
                await inner.WriteAsync(held.AsMemory(0, _heldLength), cancellationToken);
            }
            finally
            {
                // The HTTP/2 connection copies the bytes before the write completes, whichever way it completes.
                _held = null;
                _heldLength = 0;
                ArrayPool<byte>.Shared.Return(held);
            }

            if (!buffer.IsEmpty)
            {
                // Too big to join: what is held leaves first, flushed, so the bigger write below can wait for
                // flow-control credit without anything of this stream (its HEADERS included) still unsent.
                await inner.FlushAsync(cancellationToken);
            }
        }

        if (!buffer.IsEmpty)
        {
            await inner.WriteAsync(buffer, cancellationToken);
        }
    }

    private void Hold(ReadOnlySpan<byte> bytes)
    {
        if (_held is null || _held.Length - _heldLength < bytes.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_heldLength + bytes.Length, 1024));
            if (_held is { } old)
            {
                old.AsSpan(0, _heldLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(old);
            }

            _held = bigger;
        }

        bytes.CopyTo(_held.AsSpan(_heldLength));
        _heldLength += bytes.Length;
    }
}
