namespace PatternOne.Gateway;

/// <summary>
/// The gateway's configuration, bound from the <c>Gateway</c> section (environment <c>Gateway__HttpPort</c> …).
/// Locally the AppHost sets it; in a cluster it comes from the published ConfigMap.
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// <c>Gateway:DrainTimeout</c> (<see cref="PatternOne.ServiceDefaults.Shutdown.DrainOptions"/>), default 30 s: after
    /// SIGTERM readiness fails and the listeners close at once, requests in flight may finish for this long, then
    /// streams still open end with an error event (<c>gateway_shutting_down</c>) and the process exits 0. 30 s is
    /// Kubernetes' default termination grace and upstream EPP's drain; the published Deployment's
    /// terminationGracePeriodSeconds leaves 15 s more. Locally the AppHost sets a shorter one.
    /// </summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Plain HTTP listener, the seed's port 80. Default 8080. 0 binds any free port (tests).</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>HTTPS listener, the seed's port 443. Default 8443. Only opened when <see cref="Tls"/> names both files.</summary>
    public int HttpsPort { get; set; } = 8443;

    /// <summary>Readiness (<c>/healthz/ready</c>) and health (<c>/health</c>, <c>/alive</c>), as Istio's 15021. Default 15021.</summary>
    public int StatusPort { get; set; } = 15021;

    /// <summary>Prometheus scrape endpoint <c>/stats/prometheus</c>, as Istio's 15090. Default 15090.</summary>
    public int MetricsPort { get; set; } = 15090;

    /// <summary>Address every listener binds. Default: all interfaces (IPv4 and IPv6).</summary>
    public string? BindAddress { get; set; }

    public GatewayTlsOptions Tls { get; set; } = new();

    /// <summary>Path-prefix routes, longest prefix first. Each names a pool of <see cref="Pools"/>.</summary>
    public List<GatewayRouteOptions> Routes { get; set; } = [];

    /// <summary>InferencePool backends: the endpoint picker to ask and the gateway's own view of the replicas.</summary>
    public List<GatewayPoolOptions> Pools { get; set; } = [];

    public GatewayLimitsOptions Limits { get; set; } = new();

    public GatewayForwardingOptions Forwarding { get; set; } = new();

    /// <summary>
    /// At start-up the gateway reports not ready until each pool's endpoint picker has answered one warm-up exchange
    /// (<see cref="Picking.PickerWarmup"/>), or for at most this long — as Envoy keeps a listener out of service until
    /// its clusters have warmed, for at most <c>initial_fetch_timeout</c> (15 s by default). Default 15 seconds; zero
    /// skips the warm-up.
    /// </summary>
    public TimeSpan PickerWarmupTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Certificate and key of the HTTPS listener, PEM files as cert-manager writes them (tls.crt, tls.key).</summary>
public sealed class GatewayTlsOptions
{
    /// <summary>PEM certificate; the leaf first, optionally followed by its chain. No default.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of the leaf. No default.</summary>
    public string? KeyPath { get; set; }

    /// <summary>
    /// How often the files are compared with the loaded pair, besides the file watcher (which can miss
    /// Kubernetes' symlink swaps on some file systems). Default 30 seconds.
    /// </summary>
    public TimeSpan ReloadCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A client that has not finished the TLS handshake by then is dropped. Default 10 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal bool IsConfigured => !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(KeyPath);
}

/// <summary>One HTTPRoute: requests under <see cref="PathPrefix"/> go to <see cref="Pool"/>, the prefix replaced by <c>/</c>.</summary>
public sealed class GatewayRouteOptions
{
    /// <summary>Path prefix, matched by whole path segments, case-sensitively (Gateway API PathPrefix). Required.</summary>
    public string PathPrefix { get; set; } = "";

    /// <summary>Name of the pool in <see cref="GatewayOptions.Pools"/>. Required.</summary>
    public string Pool { get; set; } = "";

    /// <summary>
    /// Also pass the replicas' operational endpoints (<c>/metrics</c>, <c>/tokenize</c>, <c>/load</c>, <c>/version</c>,
    /// <c>/reset_prefix_cache</c>, fault injection, …) through this route. Default false: only the OpenAI API
    /// (<c>/v1/*</c>) and <c>/health</c> are public; the rest answers 404 (see <see cref="Routing.PublicSurface"/>).
    /// </summary>
    public bool ExposeOperationalEndpoints { get; set; }
}

/// <summary>What the gateway does when the endpoint picker cannot answer (InferencePool <c>failureMode</c>).</summary>
public enum FailureMode
{
    /// <summary>Forward to a ready endpoint of the gateway's own view of the pool.</summary>
    FailOpen,

    /// <summary>Answer 503 with an OpenAI-style error.</summary>
    FailClose,
}

/// <summary>An InferencePool backend.</summary>
public sealed class GatewayPoolOptions
{
    /// <summary>Pool name, referenced by routes. Required.</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// The endpoint picker's ext_proc address, e.g. <c>http://127.0.0.1:9002</c> (gRPC over h2c). Empty: no picker,
    /// every request goes to the gateway's own view of the pool. No default.
    /// </summary>
    public string? EndpointPicker { get; set; }

    /// <summary>The gateway's own view of the pool, "host:port" each: FailOpen and body-less calls use it.</summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>Default <see cref="Gateway.FailureMode.FailOpen"/>.</summary>
    public FailureMode FailureMode { get; set; } = FailureMode.FailOpen;

    /// <summary>
    /// The picker must name an endpoint within this time (headers and body sent, decision read), or the failure mode
    /// applies. Default 2 seconds; upstream Envoy gives its ext_proc gRPC call 10 seconds.
    /// </summary>
    public TimeSpan PickerTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the gateway waits for the picker's reply to the response headers before sending them to the client
    /// without its mutations. Default zero: the response headers go to the picker in ext_proc's observability mode
    /// (no reply expected, none waited for) — PatternOne's scheduler never changes response headers, and the wait
    /// cost every response a round trip to it. Set it (Envoy waits up to its message_timeout, 200 ms by default) for a picker
    /// whose response-header changes the client should see, such as upstream's conformance-test picker.
    /// </summary>
    public TimeSpan ResponseHeadersTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Keep a few ext_proc calls to the picker open ahead of need (<see cref="Picking.PrestartedPickerCalls"/>), so a
    /// request's pick does not wait for the call's set-up (HTTP/2 stream, the picker's gRPC dispatch). Each request still
    /// gets its own stream with the same messages; the cost is a few idle streams on the picker, which Envoy never opens.
    /// Default off: the gateway opens the call when the request arrives, as Envoy does.
    /// </summary>
    public bool PrestartPickerCalls { get; set; }
}

/// <summary>Request limits and hygiene.</summary>
public sealed class GatewayLimitsOptions
{
    /// <summary>Largest request body accepted; larger ones get 413. Default 16 MiB (a 2,048-token prompt is ~10 KB).</summary>
    public long MaxRequestBodySize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Total size of the request headers. Default 32 KiB (Kestrel's default).</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>Number of request headers. Default 100.</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>Length of the HTTP/1.1 request line. Default 8 KiB.</summary>
    public int MaxRequestLineSize { get; set; } = 8 * 1024;

    /// <summary>
    /// Check that JSON bodies of inference calls parse before asking the picker, so malformed input gets a 400 even
    /// when the picker is down. Default true.
    /// </summary>
    public bool ValidateJson { get; set; } = true;
}

/// <summary>How requests reach the replicas.</summary>
public sealed class GatewayForwardingOptions
{
    /// <summary>Time to open a TCP connection to a replica before trying the next endpoint. Default 3 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Longest wait for a replica's response headers; past it the request goes to the next endpoint (nothing reached the
    /// client yet), or gets 504 when none is left. vLLM sends a non-streaming response's headers only when the whole
    /// generation is done, so this must exceed the longest legitimate generation: default 10 minutes (32,768 tokens at
    /// ~10 ms a step is under 6). Zero turns it off. The seed's HTTPRoute sets <c>timeouts: {request: 0s}</c> for the same
    /// reason; this is the per-try limit Envoy calls <c>per_try_timeout</c> (PatternOne.Gateway/README.md, "Timeouts").
    /// </summary>
    public TimeSpan HeadersTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Longest silence from a replica (no header or body byte) before the request is cut: 504 before the response
    /// started, an SSE error event and an abort after. Each SSE chunk resets it. Default 10 minutes (Envoy's
    /// <c>stream_idle_timeout</c> is 5): a sequence preempted under KV-cache pressure can wait minutes for its next token.
    /// </summary>
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Endpoints tried for one request when the earlier ones fail before answering (refused, reset, connect timeout).
    /// Default 3.
    /// </summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// Interval of the gateway's own health probe of its pool view: one <c>GET</c> per replica, sent on schedule even
    /// while an earlier one is unanswered. Default 1 second (a frozen replica is found hung within HealthCheckInterval
    /// + <see cref="UnresponsiveAfter"/>); zero turns it off.
    /// </summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Probe path on each replica. Default <c>/health</c> (vLLM's).</summary>
    public string HealthCheckPath { get; set; } = "/health";

    /// <summary>Probe timeout: a replica that answers later is out of rotation until it answers in time. Default 2 seconds.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a probe waits for any answer before the replica counts as hung (SIGSTOP, a wedged event loop) — provided
    /// nothing else came from it meanwhile (no response headers, no stream byte on any request): requests in flight on
    /// it move to another replica when nothing reached their client yet, and streams already under way end with an error
    /// event, as if cut. A replica that is alive but slow (a long prefill, a long stream, a loaded machine answering
    /// <c>/health</c> late) is not hung: its probe is answered, however late, or its streams still flow. Default 10
    /// seconds, so with the 1-second interval a request on a frozen replica moves within 11 seconds of the freeze. Not
    /// shorter: a replica busy tokenizing a burst of long prompts answers <c>/health</c> seconds late while its
    /// non-streaming requests send nothing, and at 3 seconds a burst right after start-up on a loaded machine had every
    /// replica taken for hung and its requests answered 502. A refused probe only takes the replica out of rotation (a
    /// dead process ends its requests itself).
    /// </summary>
    public TimeSpan UnresponsiveAfter { get; set; } = TimeSpan.FromSeconds(10);
}
