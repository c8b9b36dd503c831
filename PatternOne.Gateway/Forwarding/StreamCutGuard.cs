using System.Net;
using PatternOne.Gateway.Pools;

namespace PatternOne.Gateway.Forwarding;

/// <summary>
/// Ends an SSE response whose replica fails mid-stream the way an OpenAI client understands:
/// <code>
///  replica ──data: {chunk}…──✕ (reset, EOF before the last chunk, idle timeout)
///  gateway ──data: {chunk}…──data: {"error":{…,"code":"upstream_stream_cut"}}──▶ client, flushed
///          then YARP aborts the response (HTTP/1.1: connection closed without the terminating chunk;
///          HTTP/2: RST_STREAM), so the response can never pass for a complete one
/// </code>
/// The OpenAI SDKs raise an API error on a <c>data:</c> event that carries <c>error</c>, where a bare reset surfaces as a
/// network error with no cause. vLLM itself reports an engine failure mid-stream the same way (an error event), but
/// follows it with <c>[DONE]</c>; the gateway does not, because nothing after a cut is a clean end.
/// <para>
/// The gateway's own stop ends a stream the same way: a stream still open when the drain timeout passes
/// (<c>Gateway:DrainTimeout</c>) gets the error event with <see cref="ShutdownErrorCode"/>, then the abort.
/// </para>
/// </summary>
internal static class StreamCutGuard
{
    /// <summary>The <c>code</c> of the error event.</summary>
    public const string ErrorCode = "upstream_stream_cut";

    /// <summary>The <c>code</c> of the error event when the gateway's drain timeout ended the stream.</summary>
    public const string ShutdownErrorCode = "gateway_shutting_down";

    /// <summary>Longest wait for the client to take the error event; a client that does not read gets the abort alone.</summary>
    private static readonly TimeSpan ErrorEventWriteTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Grace between the flushed error event and the abort. Kestrel's abort drops output its socket sender has not sent
    /// yet, and a flush only hands the bytes to that sender; without a grace a loaded gateway loses the event (seen in
    /// about one test run in eight on a busy 2-core machine). Envoy's <c>delayed_close_timeout</c> (default 1 s) exists
    /// for the same reason. It ends early when the client closes first.
    /// </summary>
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(1);

    private static readonly object CutKey = new();
    private static readonly object DrainedKey = new();

    /// <summary>
    /// Whether this request's stream was cut by its replica and ended with the error event. The abort that follows
    /// also fires <c>RequestAborted</c>, so this, not the token, tells a replica's fault from a client that left.
    /// </summary>
    public static bool WasCut(HttpContext context) => context.Items.ContainsKey(CutKey);

    /// <summary>Whether the stream was ended by the gateway's own drain timeout (not the replica's fault).</summary>
    public static bool WasEndedByDrain(HttpContext context) => context.Items.ContainsKey(DrainedKey);

    /// <summary>Wraps <paramref name="response"/>'s body when it is an event stream; other bodies are left alone.</summary>
    /// <remarks>
    /// <paramref name="unresponsive"/> firing (the replica found hung) ends the stream as a cut does: the replica's body
    /// is closed under the pending read, which then fails. <paramref name="drainDeadline"/> (the gateway's drain timeout
    /// has passed) does the same. Every chunk read is reported to <paramref name="liveness"/>: a replica still streaming
    /// is not hung, however late it answers its probe.
    /// </remarks>
    public static void Wrap(HttpContext context, HttpResponseMessage response, string endpoint, CancellationToken unresponsive, EndpointLiveness? liveness,
        CancellationToken drainDeadline)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            response.Content = new GuardedContent(response.Content, context, endpoint, unresponsive, liveness, drainDeadline);
        }
    }

    private sealed class GuardedContent(HttpContent inner, HttpContext context, string endpoint, CancellationToken unresponsive, EndpointLiveness? liveness,
        CancellationToken drainDeadline)
        : HttpContent
    {
        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new GuardedStream(await inner.ReadAsStreamAsync(cancellationToken), context, endpoint, unresponsive, liveness, drainDeadline);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            throw new NotSupportedException("The forwarder reads the body as a stream.");

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A read-only pass-through that, when a read fails, writes the error event to the client and rethrows.</summary>
    private sealed class GuardedStream(Stream inner, HttpContext context, string endpoint, CancellationToken unresponsive, EndpointLiveness? liveness,
        CancellationToken drainDeadline)
        : Stream
    {
        // One registration per response rather than a linked token per read (one per SSE chunk).
        private readonly CancellationTokenRegistration _onUnresponsive = unresponsive.Register(static s => ((Stream)s!).Dispose(), inner);
        private readonly CancellationTokenRegistration _onDrainDeadline = drainDeadline.Register(static s => ((Stream)s!).Dispose(), inner);

        // The last two bytes passed on, to know whether the cut fell between events or inside one.
        private byte _last = (byte)'\n';
        private byte _beforeLast = (byte)'\n';

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int read;
            try
            {
                read = await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception exception) when (!context.RequestAborted.IsCancellationRequested)
            {
                await WriteErrorEventAsync(exception);
                throw;
            }

            if (read > 0)
            {
                liveness?.SignOfLife();
            }

            Remember(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _onUnresponsive.Dispose();
                _onDrainDeadline.Dispose();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private void Remember(ReadOnlySpan<byte> passed)
        {
            if (passed.Length >= 2)
            {
                _beforeLast = passed[^2];
                _last = passed[^1];
            }
            else if (passed.Length == 1)
            {
                _beforeLast = _last;
                _last = passed[0];
            }
        }

        private async Task WriteErrorEventAsync(Exception cause)
        {
            context.Items[CutKey] = true;
            var drained = drainDeadline.IsCancellationRequested;
            if (drained)
            {
                context.Items[DrainedKey] = true;
            }

            var message = drained
                ? "The gateway is shutting down and its drain timeout has passed: the response was ended before it was complete."
                : unresponsive.IsCancellationRequested
                ? $"The model server {endpoint} stopped responding before the response was complete (it no longer answers its health probe)."
                : cause is OperationCanceledException
                ? $"The model server {endpoint} stopped sending before the response was complete (idle timeout)."
                : $"The model server {endpoint} failed before the response was complete.";
            var json = OpenAiError.Serialize(message, OpenAiError.ServerError, drained ? ShutdownErrorCode : ErrorCode);

            // A cut inside an event leaves a partial line: end it first, so the error is an event of its own.
            var atBoundary = _last == '\n' && _beforeLast == '\n';
            var frame = new byte[(atBoundary ? 0 : 2) + 6 + json.Length + 2];
            var span = frame.AsSpan();
            if (!atBoundary)
            {
                "\n\n"u8.CopyTo(span);
                span = span[2..];
            }

            "data: "u8.CopyTo(span);
            json.CopyTo(span[6..]);
            "\n\n"u8.CopyTo(span[(6 + json.Length)..]);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(ErrorEventWriteTimeout);
            try
            {
                await context.Response.Body.WriteAsync(frame, timeout.Token);
                await context.Response.Body.FlushAsync(timeout.Token);
                var time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
                await Task.Delay(AbortGrace, time, context.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The client is gone or not reading; the abort that follows is all it gets.
            }
        }
    }
}
