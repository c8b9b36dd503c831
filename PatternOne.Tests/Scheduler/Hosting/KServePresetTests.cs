using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatternOne.AppHost.Publishing.Manifests;
using PatternOne.AppHost.Publishing.Manifests.Topologies;
using PatternOne.AppHost.Publishing.Plan;
using PatternOne.Tests.AppHost.Publishing;
using PatternOne.Tests.Scheduler.ExtProc;
using static PatternOne.Tests.Infrastructure.FakeKubernetesApi;

namespace PatternOne.Tests.Scheduler.Hosting;

/// <summary>
/// Our scheduler image as KServe runs it: started with the argument list of the published LLMInferenceService's
/// scheduler template — KServe's preset EPP flags plus <c>--config-file</c> — it reads its v1alpha2 InferencePool,
/// serves ext_proc over TLS with the certificate in <c>--cert-path</c>, answers the gRPC health checks KServe's and
/// upstream's probes make, and drains on shutdown as upstream.
/// </summary>
public sealed class KServePresetTests : EndpointPickerApiTest
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "patternone-epp-" + Guid.NewGuid().ToString("N"));

    public override async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task PresetArguments_ServeExtProcOverTls_PassHealthChecks_AndDrain()
    {
        var selector = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "qwen2-3b-pattern1", ["app.kubernetes.io/part-of"] = "llminferenceservice", ["kserve.io/component"] = "workload" };
        Api.Pods.Add(Pod("vllm-0", "10.1.0.1", ready: true, "90", selector));
        Api.Pods.Add(Pod("vllm-1", "10.1.0.2", ready: true, "91", selector));
        Api.InferencePools[$"inference.networking.x-k8s.io/v1alpha2/{Ns}/{PoolName}"] = Pool("inference.networking.x-k8s.io", PoolName, "500", selector, 8000);
        var certificate = WriteCertificate(Path.Combine(_directory, "tls"));
        var configFile = Path.Combine(_directory, "endpoint-picker.yaml");
        await File.WriteAllTextAsync(configFile, SchedulerProfile.DefaultYaml);
        var ports = SchedulerTestHost.FreePorts(3);
        var args = PublishedSchedulerArgs();
        // The preset's fixed ports (9002, 9003, and the default metrics port 9090) are taken on a shared machine:
        // only the values change, every flag stays as published; the mounted paths are the test's.
        Replace(args, "--grpc-port", Str(ports[0]));
        Replace(args, "--grpc-health-port", Str(ports[1]));
        Replace(args, "--cert-path", Path.Combine(_directory, "tls"));
        Replace(args, "--config-file", configFile);
        args.AddRange(["--metrics-port", Str(ports[2])]);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);

        await using var host = await EndpointPickerHost.StartAsync(args, Client, time);
        await Eventually.HoldsAsync(() => host.Pool.Endpoints.Count == 2, Timeout, "the pool's two pods are discovered");
        SimulateScrape(host);
        using var health = GrpcChannel.ForAddress($"http://127.0.0.1:{ports[1]}");
        foreach (var service in new[] { "liveness", "readiness", ExtProcNames.ServiceName })
        {
            await Eventually.HoldsAsync(async () => await StatusAsync(health, service) == HealthCheckResponse.Types.ServingStatus.Serving,
                Timeout, $"gRPC health '{service}' is SERVING");
        }

        Assert.Equal(["10.1.0.1:8000", "10.1.0.2:8000"], host.Pool.Endpoints.Select(e => e.Address).Order(StringComparer.Ordinal));
        var presented = await PickOverTlsAsync(host, ports[0]);
        Assert.Equal(certificate.Thumbprint, presented.Thumbprint);

        // SIGTERM: readiness goes NOT_SERVING at once, liveness stays, and ext_proc keeps serving until the drain
        // timeout (upstream's 30 s default, on the test's clock) has passed.
        var stopping = host.App.StopAsync();
        await Eventually.HoldsAsync(async () => await StatusAsync(health, "readiness") == HealthCheckResponse.Types.ServingStatus.NotServing,
            Timeout, "readiness is NOT_SERVING while draining");
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusAsync(health, ExtProcNames.ServiceName));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(health, "liveness"));
        await PickOverTlsAsync(host, ports[0]);
        Assert.False(stopping.IsCompleted);
        await Eventually.HoldsAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(5));
            return stopping.IsCompleted;
        }, Timeout, "the host stops after the drain timeout");
        await stopping;
    }

    /// <summary>The scheduler template's arguments in the committed <c>aspirate-output-kserve/</c>.</summary>
    private static List<string> PublishedSchedulerArgs()
    {
        var service = PublishRun.LoadObjects(PublishRun.CommittedOutputOf(PublishTopology.KServe)).Select(o => o.Object).OfType<LlmInferenceService>().Single();
        return [.. service.Spec.Router!.Scheduler!.Template!.Containers.Single().Args];
    }

    private static void Replace(List<string> args, string flag, string value)
    {
        var index = args.IndexOf(flag);
        Assert.True(index >= 0, $"the published arguments have no {flag}");
        args[index + 1] = value;
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> StatusAsync(GrpcChannel channel, string service) =>
        (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = service }).ResponseAsync.WaitAsync(Timeout)).Status;

    /// <summary>Fresh metrics for every endpoint, as a scrape would leave them (the test's clock does not run the scraper).</summary>
    private static void SimulateScrape(EndpointPickerHost host)
    {
        var now = host.App.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        foreach (var endpoint in host.Pool.Endpoints)
        {
            endpoint.Metrics = new global::PatternOne.Scheduler.Metrics.EndpointMetrics { WaitingRequests = 0, KvCacheUsage = 0.1, ScrapedAt = now };
        }
    }

    /// <summary>One pick over TLS; returns the certificate the scheduler presented.</summary>
    private static async Task<X509Certificate2> PickOverTlsAsync(EndpointPickerHost host, int port)
    {
        SimulateScrape(host);
        X509Certificate2? presented = null;
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                // The gateway's side (Istio's DestinationRule): TLS without verifying the self-signed chain.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    presented = certificate is null ? null : new X509Certificate2(certificate);
                    return true;
                },
            },
        };
        await using var envoy = new EnvoyClient(GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = handler }), Timeout);
        await envoy.SendRequestHeadersAsync("POST", "/v1/completions", endOfStream: false);
        await envoy.SendBodyAsync("""{"model":"Qwen/Qwen2.5-3B-Instruct","prompt":"hello"}"""u8.ToArray(), 1024);
        var response = await envoy.ReceiveAsync();
        var picked = EnvoyClient.PickedEndpoints(response!);
        Assert.All(picked, p => Assert.Contains(p, new[] { "10.1.0.1:8000", "10.1.0.2:8000" }));
        return presented ?? throw new InvalidOperationException("No server certificate was presented.");
    }

    /// <summary>A certificate and key as KServe mounts them: <c>tls.crt</c> and <c>tls.key</c> (PEM) in one folder.</summary>
    private static X509Certificate2 WriteCertificate(string folder)
    {
        Directory.CreateDirectory(folder);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=qwen2-3b-pattern1-epp-service", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        File.WriteAllText(Path.Combine(folder, "tls.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "tls.key"), key.ExportPkcs8PrivateKeyPem());
        return certificate;
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
