using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenAI;
using PatternOne.AppHost;
using PatternOne.AppHost.Tls;

namespace PatternOne.Tests.Infrastructure;

/// <summary>
/// Starts the real AppHost (gateway, scheduler, N simulated vLLM replicas) with DistributedApplicationTestingBuilder,
/// waits until every resource is healthy, and hands out clients that reach the gateway the way a user does:
/// HTTPS validated against the local CA (never "accept any certificate"), or plain HTTP.
/// Subclass it to change the AppHost's arguments (replica count, failure mode…) for a test collection.
/// </summary>
public class StackFixture : IAsyncLifetime
{
    /// <summary>The seed's route prefix for the pool (the HTTPRoute of docs/architecture.md).</summary>
    public const string RoutePrefix = "/llm-d-inference-scheduling/qwen2-3b-pattern1/";

    public const string Model = "Qwen/Qwen2.5-3B-Instruct";

    public const string PoolName = "qwen2-3b-pattern1";

    /// <summary>Upper bound for the stack to start (projects are built before the tests run).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Upper bound for one request in a test.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private readonly List<HttpClient> _clients = [];

    public DistributedApplication App { get; private set; } = null!;

    public X509Certificate2 CaCertificate { get; private set; } = null!;

    /// <summary>Where this stack's local CA and gateway certificate live (a temporary folder per fixture).</summary>
    public string TlsDirectory { get; } = Directory.CreateTempSubdirectory("patternone-tls-").FullName;

    public OtlpTraceCollector Traces { get; private set; } = null!;

    /// <summary>Replica resource names, in order (<c>qwen2-3b-pattern1-0</c>, …).</summary>
    public IReadOnlyList<string> ReplicaNames { get; private set; } = [];

    /// <summary>Number of simulated vLLM replicas; override to change it (sets <c>Pool:Replicas</c>).</summary>
    protected virtual int Replicas => 1;

    /// <summary>Extra AppHost arguments (configuration as <c>Key=Value</c>).</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    /// <summary>Extra environment variables for one resource (e.g. the scheduler's settings), by resource name.</summary>
    protected virtual IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ResourceEnvironment { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Extra command-line arguments for one resource (e.g. a replica's engine size), by resource name; they come last, so they win.</summary>
    protected virtual IReadOnlyDictionary<string, IReadOnlyList<string>> ResourceArguments { get; } =
        new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Changes to the AppHost before it is built (extra services such as a log collector); none by default.</summary>
    protected virtual void ConfigureAppHost(IDistributedApplicationTestingBuilder appHost)
    {
    }

    public Uri GatewayHttpsUri => App.GetEndpoint("gateway", "https");

    public Uri GatewayHttpUri => App.GetEndpoint("gateway", "http");

    public async Task InitializeAsync()
    {
        Traces = await OtlpTraceCollector.StartAsync();
        using var cancellation = new CancellationTokenSource(StartTimeout);
        // A CA of the test run's own: the developer's PatternOne.AppHost/.patternone/tls (which a running F5 session
        // serves from) is never touched by tests.
        string[] args = [.. new AppHostSettings { Replicas = Replicas, TlsDirectory = TlsDirectory }.ToArgs(), .. ExtraArguments];
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PatternOne_AppHost>(args, cancellation.Token)
            .WaitAsync(StartTimeout, cancellation.Token);
        appHost.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));

        // Every service exports its spans to our collector, so tests can follow a trace across processes.
        foreach (var project in appHost.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_ENDPOINT"] = Traces.Endpoint.ToString().TrimEnd('/');
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                context.EnvironmentVariables["OTEL_BSP_SCHEDULE_DELAY"] = "200";
                context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_HEADERS");
                foreach (var (key, value) in ResourceEnvironment.GetValueOrDefault(project.Name) ?? new Dictionary<string, string>())
                {
                    context.EnvironmentVariables[key] = value;
                }
            }));
            if (ResourceArguments.TryGetValue(project.Name, out var extraArgs))
            {
                project.Annotations.Add(new CommandLineArgsCallbackAnnotation(args =>
                {
                    foreach (var arg in extraArgs)
                    {
                        args.Add(arg);
                    }
                }));
            }
        }

        ConfigureAppHost(appHost);
        ReplicaNames = appHost.Resources.OfType<ProjectResource>()
            .Where(r => r.Name.StartsWith(PoolName + "-", StringComparison.Ordinal)).Select(r => r.Name).Order().ToList();
        var certificate = appHost.Resources.OfType<GatewayCertificateResource>().Single();
        CaCertificate = X509CertificateLoader.LoadCertificateFromFile(certificate.LocalAuthority!.CaCertificatePath);

        App = await appHost.BuildAsync(cancellation.Token).WaitAsync(StartTimeout, cancellation.Token);
        await App.StartAsync(cancellation.Token).WaitAsync(StartTimeout, cancellation.Token);

        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var name in ReplicaNames.Append("scheduler").Append("gateway"))
        {
            await notifications.WaitForResourceHealthyAsync(name, cancellation.Token).WaitAsync(StartTimeout, cancellation.Token);
        }
    }

    /// <summary>Stops a resource (a replica, the scheduler) as the dashboard's Stop button does, and waits until it has exited.</summary>
    public async Task StopResourceAsync(string name)
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        await ExecuteCommandAsync(name, KnownResourceCommands.StopCommand, "stopping", cancellation.Token);
        await App.Services.GetRequiredService<ResourceNotificationService>()
            .WaitForResourceAsync(name, [KnownResourceStates.Exited, KnownResourceStates.Finished], cancellation.Token)
            .WaitAsync(StartTimeout, cancellation.Token);
    }

    /// <summary>Starts a stopped resource again and waits until it is healthy.</summary>
    public async Task StartResourceAsync(string name)
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        await ExecuteCommandAsync(name, KnownResourceCommands.StartCommand, "starting", cancellation.Token);
        await App.Services.GetRequiredService<ResourceNotificationService>()
            .WaitForResourceHealthyAsync(name, cancellation.Token).WaitAsync(StartTimeout, cancellation.Token);
    }

    /// <summary>
    /// Runs <paramref name="whileStopped"/> with <paramref name="name"/> stopped from the dashboard, then starts it again
    /// (also when the body fails, so the next test gets the whole stack).
    /// </summary>
    public async Task WhileStoppedAsync(string name, Func<Task> whileStopped)
    {
        await StopResourceAsync(name);
        try
        {
            await whileStopped();
        }
        finally
        {
            await StartResourceAsync(name);
        }
    }

    /// <summary>Runs a dashboard command on a resource and asserts it succeeded.</summary>
    private async Task ExecuteCommandAsync(string name, string command, string doing, CancellationToken cancellationToken)
    {
        var result = await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(name, command, cancellationToken)
            .WaitAsync(StartTimeout, cancellationToken);
        Assert.True(result.Success, $"{doing} {name}: {result.Message}");
    }

    /// <summary>Waits until the dashboard shows <paramref name="name"/> with this health (its health checks poll every few seconds).</summary>
    public async Task WaitForHealthAsync(string name, HealthStatus health)
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);
        await App.Services.GetRequiredService<ResourceNotificationService>()
            .WaitForResourceAsync(name, e => e.Snapshot.HealthStatus == health, cancellation.Token)
            .WaitAsync(StartTimeout, cancellation.Token);
    }

    /// <summary>An endpoint of a resource other than the gateway, e.g. a replica's <c>http</c> (for direct calls in tests).</summary>
    public Uri GetEndpoint(string resource, string endpoint) => App.GetEndpoint(resource, endpoint);

    /// <summary>A client for the gateway; HTTPS validates the chain against the local CA only.</summary>
    public HttpClient CreateGatewayClient(bool https = true, Version? httpVersion = null)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = ValidateAgainstLocalCa },
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        var client = new HttpClient(handler)
        {
            BaseAddress = new Uri((https ? GatewayHttpsUri : GatewayHttpUri), RoutePrefix),
            Timeout = RequestTimeout,
        };
        if (httpVersion is not null)
        {
            client.DefaultRequestVersion = httpVersion;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>
    /// The official OpenAI SDK pointed at the gateway's route prefix (<c>…/v1</c>), with retries off: the SDK would
    /// otherwise retry a 429 or 5xx quietly, and a retried failure must never pass as a success.
    /// </summary>
    public OpenAIClient CreateOpenAIClient(bool https = true)
    {
        var http = CreateGatewayClient(https);
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "v1"),
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(http),
            NetworkTimeout = RequestTimeout,
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        };
        return new OpenAIClient(new System.ClientModel.ApiKeyCredential("unused-locally"), options);
    }

    /// <summary>
    /// Validates the gateway's certificate the way a client configured with <c>--cacert ca.crt</c> does:
    /// a chain to the local CA, and the host name — nothing from the machine's trust store, nothing skipped.
    /// </summary>
    public bool ValidateAgainstLocalCa(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
        && TestCertificates.ChainsTo(CaCertificate, certificate, chain?.ChainPolicy.ExtraStore);

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        await Traces.DisposeAsync();
        CaCertificate?.Dispose();
        Directory.Delete(TlsDirectory, recursive: true);
    }
}

/// <summary>
/// The default stack (one replica) shared by the tests of the collection. Stack collections run one at a time:
/// several whole stacks at once on a 2-core machine starve the scheduler's 50 ms metric scrapes, and stale metrics
/// rightly count as saturated.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultStackCollection : ICollectionFixture<StackFixture>
{
    public const string Name = "Default stack";
}
