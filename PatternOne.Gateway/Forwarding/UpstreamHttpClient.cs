using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace PatternOne.Gateway.Forwarding;

/// <summary>The one connection pool to the replicas, set up as YARP's own client factory does.</summary>
public sealed class UpstreamHttpClient : IDisposable
{
    public UpstreamHttpClient(IOptions<GatewayOptions> options, TimeProvider timeProvider)
    {
        var forwarding = options.Value.Forwarding;
        Invoker = new HttpMessageInvoker(new ReplicaDeadlineHandler(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = forwarding.ConnectTimeout,
            // A response body disposed before its end (a stream cut because its replica was found hung, or at the drain
            // deadline) closes its connection at once. By default the handler first drains up to 1 MB for up to 2 s to
            // reuse the connection; from a frozen replica nothing comes, so each cut stream's error event waited those 2 s.
            MaxResponseDrainSize = 0,
            // Replaces the client's traceparent with the gateway's span, so the replica's span is the gateway's child.
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        }, forwarding.HeadersTimeout, timeProvider), disposeHandler: true);

        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = forwarding.ActivityTimeout,
            // vLLM (uvicorn) and the simulator speak HTTP/1.1 on plain HTTP.
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            AllowResponseBuffering = false,
        };
    }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    public void Dispose() => Invoker.Dispose();
}
