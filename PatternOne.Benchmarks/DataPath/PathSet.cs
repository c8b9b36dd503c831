using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Hosting;
using Spectre.Console;

namespace PatternOne.Benchmarks.DataPath;

/// <summary>
/// One way to the replica: direct, through the gateway + scheduler, or through nginx; over HTTP or HTTPS.
/// <see cref="Repeat"/> marks a second run of the same path in the same round (same client, same schedule): the A/A
/// comparison that shows how much two runs of one path differ with nothing changed.
/// </summary>
public sealed record PathKey(string Target, bool Https, bool Repeat = false)
{
    public const string DirectTarget = "direct";
    public const string Gateway = "gateway";
    public const string Nginx = "nginx";

    public static readonly PathKey Direct = new(DirectTarget, false);

    public override string ToString() => (Target == DirectTarget ? Target : $"{Target} {(Https ? "https" : "http")}") + (Repeat ? " (A/A)" : "");
}

/// <summary>
/// The system under test for one replica kind (a <see cref="LocalCluster"/>, with nginx over the same replicas when it
/// is available) and one keep-alive client per path.
/// </summary>
public sealed class PathSet : IAsyncDisposable
{
    private readonly LocalCluster _cluster;
    private readonly ServiceProcess? _nginx;
    private readonly int _nginxHttp;
    private readonly int _nginxHttps;
    private readonly Dictionary<PathKey, HttpClient> _clients;

    private PathSet(LocalCluster cluster, ServiceProcess? nginx, int nginxHttp, int nginxHttps, string? nginxProblem)
    {
        _cluster = cluster;
        _nginx = nginx;
        _nginxHttp = nginxHttp;
        _nginxHttps = nginxHttps;
        NginxProblem = nginxProblem;
        List<PathKey> paths = [PathKey.Direct, new(PathKey.Gateway, false), new(PathKey.Gateway, true)];
        if (nginx is not null)
        {
            paths.AddRange([new(PathKey.Nginx, false), new(PathKey.Nginx, true)]);
        }

        Paths = paths;
        _clients = paths.ToDictionary(p => p, _ => LoadDriver.CreateClient(256));
    }

    /// <summary>Every path, in the order each round runs them.</summary>
    public IReadOnlyList<PathKey> Paths { get; }

    /// <summary>Why nginx is missing from <see cref="Paths"/>, if it is.</summary>
    public string? NginxProblem { get; }

    public HttpClient Client(PathKey path) => _clients[path with { Repeat = false }];

    public Uri Uri(PathKey path, string apiPath) => path.Target switch
    {
        PathKey.DirectTarget => _cluster.ReplicaUri(0, apiPath),
        PathKey.Gateway => _cluster.GatewayUri(path.Https, apiPath),
        _ => new Uri($"{(path.Https ? "https" : "http")}://127.0.0.1:{(path.Https ? _nginxHttps : _nginxHttp)}{LocalCluster.RoutePrefix}{apiPath.TrimStart('/')}"),
    };

    /// <summary>The processes that do a path's proxying work (for CPU per request): for direct, the replica itself.</summary>
    public IReadOnlyList<int> ProxyProcessIds(PathKey path) => path.Target switch
    {
        PathKey.DirectTarget => [_cluster.Processes[0].Id],
        PathKey.Gateway => _cluster.Processes.Where(p => p.Name is "gateway" or "scheduler").Select(p => p.Id).ToArray(),
        _ => _nginx is null ? [] : [_nginx.Id],
    };

    public static async Task<PathSet> StartAsync(RunContext context, LocalCluster.Spec spec, bool withNginx, CancellationToken cancellationToken)
    {
        using var probe = LoadDriver.CreateClient(4);
        var cluster = await LocalCluster.StartAsync(context.Repo, spec, probe, cancellationToken);
        ServiceProcess? nginx = null;
        string? problem = null;
        var http = ServiceProcess.FreePort();
        var https = ServiceProcess.FreePort();
        if (withNginx)
        {
            var script = context.Repo.Script("nginx.sh")!;
            nginx = NginxPeer.Start(script, spec.WorkDirectory, http, https, spec.CertPath, spec.KeyPath, cluster.ReplicaPorts);
            try
            {
                await nginx.WaitReadyAsync(probe, new Uri($"http://127.0.0.1:{http}{LocalCluster.RoutePrefix}health"), TimeSpan.FromSeconds(20), cancellationToken);
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                problem = "nginx did not start: " + ex.Message;
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(problem)}[/]");
                await nginx.DisposeAsync();
                nginx = null;
            }
        }

        return new PathSet(cluster, nginx, http, https, problem);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        await _cluster.DisposeAsync();
    }
}
