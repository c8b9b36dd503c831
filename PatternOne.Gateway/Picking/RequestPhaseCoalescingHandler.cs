using System.Net;

namespace PatternOne.Gateway.Picking;

/// <summary>
/// In the picker channel's handler chain: a request started inside <see cref="RequestPhaseBatch.Begin"/> gets its
/// content written through a <see cref="HeldFlushStream"/>; every other request (health checks) passes untouched.
/// </summary>
internal sealed class RequestPhaseCoalescingHandler(HttpMessageHandler innerHandler) : DelegatingHandler(innerHandler)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (RequestPhaseBatch.Current is { } batch && request.Content is { } content)
        {
            request.Content = new BatchedContent(content, batch);
        }

        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>gRPC's request content, unchanged but for the stream it is written to.</summary>
    private sealed class BatchedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly RequestPhaseBatch _batch;

        public BatchedContent(HttpContent inner, RequestPhaseBatch batch)
        {
            _inner = inner;
            _batch = batch;
            foreach (var (name, values) in inner.Headers)
            {
                Headers.TryAddWithoutValidation(name, values);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            _inner.CopyToAsync(new HeldFlushStream(stream, _batch), context, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            // A stream of messages: its length is never known up front.
            length = -1;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
