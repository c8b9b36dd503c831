using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PatternOne.Benchmarks.Cli;
using PatternOne.Benchmarks.Hosting;
using PatternOne.Benchmarks.Reporting;
using Spectre.Console;

namespace PatternOne.Benchmarks.DataPath;

/// <summary>
/// Data path: what gateway + scheduler add over a direct call to a replica, with nginx as a plain reverse-proxy peer in
/// the same run (style-perf §B.4 discipline: the baseline always in the same run, interleaved rounds, medians).
/// HTTP and HTTPS; a small chat request and a ~220 KB one (the size upstream measured at ~261 ms of body streaming, §B.3).
/// </summary>
public sealed class DataPathScenario : IScenario
{
    public string Name => "datapath";

    private const string Direct = "direct";
    private const string Gateway = "gateway";
    private const string Nginx = "nginx";

    private sealed record Payload(string Name, double Rate, byte[][] Bodies);

    public async Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken)
    {
        var report = new ScenarioReport(Name, "Data path: added latency of gateway + scheduler vs direct and nginx");
        var quick = context.Quick;
        var rounds = quick ? 1 : 3;
        var runLength = TimeSpan.FromSeconds(quick ? 1 : 8);
        var smallRate = quick ? 50 : 200;
        var largeRate = quick ? 10 : 40;
        const int MaxConnections = 32;
        report.Parameters["rounds"] = rounds;
        report.Parameters["run_s"] = runLength.TotalSeconds;
        report.Parameters["small_rate_rps"] = smallRate;
        report.Parameters["large_rate_rps"] = largeRate;
        report.Parameters["throughput_connections"] = MaxConnections;

        var work = Path.Combine(Path.GetTempPath(), "patternone-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-datapath");
        var (cert, key) = LocalCertificate.Write(Path.Combine(work, "tls"));
        using var probe = LoadDriver.CreateClient(4);
        LocalCluster cluster;
        try
        {
            // Simulator time-scale 1000: the replica answers in ~microseconds of simulated engine time, so what is
            // measured is the HTTP data path, like the Kestrel downstream of aspnet's proxy benchmarks.
            cluster = await LocalCluster.StartAsync(context.Repo, new LocalCluster.Spec
            {
                Replicas = 2,
                TimeScale = 1000,
                // Room for the ~220 KB prompt (~40k simulated tokens) in one sequence.
                MaxModelLen = 65536,
                ExtraSimulatorArgs = ["--num-gpu-blocks-override", "8193"],
                WorkDirectory = work,
                CertPath = cert,
                KeyPath = key,
            }, probe, cancellationToken);
        }
        catch (ClusterUnavailableException ex)
        {
            report.Skipped = true;
            report.Notes.Add("Skipped: " + ex.Message);
            return report;
        }

        await using var clusterLifetime = cluster;
        ServiceProcess? nginx = null;
        var nginxHttp = ServiceProcess.FreePort();
        var nginxHttps = ServiceProcess.FreePort();
        var nginxProblem = await NginxPeer.EnsureInstalledAsync(context.Repo.Script("nginx.sh"), cancellationToken);
        if (nginxProblem is null)
        {
            nginx = NginxPeer.Start(context.Repo.Script("nginx.sh")!, work, nginxHttp, nginxHttps, cert, key, cluster.ReplicaPorts);
            try
            {
                await nginx.WaitReadyAsync(probe, new Uri($"http://127.0.0.1:{nginxHttp}{LocalCluster.RoutePrefix}health"), TimeSpan.FromSeconds(20), cancellationToken);
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
            {
                nginxProblem = "nginx did not start: " + ex.Message;
                await nginx.DisposeAsync();
                nginx = null;
            }
        }

        if (nginxProblem is not null)
        {
            report.Notes.Add("nginx peer skipped: " + nginxProblem);
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(report.Notes[^1])}[/]");
        }

        try
        {
            var targets = new Dictionary<(string Target, bool Https), Uri>
            {
                [(Direct, false)] = cluster.ReplicaUri(0, "v1/chat/completions"),
                [(Gateway, false)] = cluster.GatewayUri(false, "v1/chat/completions"),
                [(Gateway, true)] = cluster.GatewayUri(true, "v1/chat/completions"),
            };
            if (nginx is not null)
            {
                targets[(Nginx, false)] = new Uri($"http://127.0.0.1:{nginxHttp}{LocalCluster.RoutePrefix}v1/chat/completions");
                targets[(Nginx, true)] = new Uri($"https://127.0.0.1:{nginxHttps}{LocalCluster.RoutePrefix}v1/chat/completions");
            }

            var clients = targets.Keys.ToDictionary(k => k, _ => LoadDriver.CreateClient(256));
            try
            {
                var payloads = new[]
                {
                    new Payload("small", smallRate, Bodies(64, 0)),
                    new Payload("220KB", largeRate, Bodies(16, 220 * 1024)),
                };
                report.Parameters["small_request_bytes"] = payloads[0].Bodies[0].Length;
                report.Parameters["large_request_bytes"] = payloads[1].Bodies[0].Length;

                Func<int, CancellationToken, Task<bool>> Sender((string, bool) target, Payload payload) => async (i, ct) =>
                {
                    using var content = new ByteArrayContent(payload.Bodies[i % payload.Bodies.Length]);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await clients[target].PostAsync(targets[target], content, ct);
                    _ = await response.Content.ReadAsByteArrayAsync(ct);
                    return response.IsSuccessStatusCode;
                };

                var samples = new Dictionary<(string Payload, string Target, bool Https), List<LoadResult>>();
                var throughput = new Dictionary<(string Target, bool Https), LoadResult>();
                var steps = (payloads.Length * rounds * targets.Count) + targets.Count + 1;
                await AnsiConsole.Progress().AutoClear(false).HideCompleted(false).StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("data path", maxValue: steps);

                    // Warm-up: connections, JIT, TLS sessions; not recorded.
                    foreach (var target in targets.Keys)
                    {
                        await LoadDriver.FixedRateAsync(Sender(target, payloads[0]), 50, TimeSpan.FromSeconds(quick ? 0.5 : 2), 32, cancellationToken);
                    }

                    task.Increment(1);
                    for (var round = 0; round < rounds; round++)
                    {
                        foreach (var payload in payloads)
                        {
                            // Interleaved: every target once per round, so drift on the shared machine hits all alike.
                            foreach (var target in targets.Keys)
                            {
                                task.Description = $"{payload.Name} {target.Target}{(target.Https ? "+tls" : "")} @ {payload.Rate}/s (round {round + 1})";
                                var result = await LoadDriver.FixedRateAsync(Sender(target, payload), payload.Rate, runLength, 256, cancellationToken);
                                var keyed = (payload.Name, target.Target, target.Https);
                                if (!samples.TryGetValue(keyed, out var list))
                                {
                                    samples[keyed] = list = [];
                                }

                                list.Add(result);
                                task.Increment(1);
                            }
                        }
                    }

                    foreach (var target in targets.Keys)
                    {
                        task.Description = $"max throughput {target.Target}{(target.Https ? "+tls" : "")}";
                        throughput[target] = await LoadDriver.ClosedLoopAsync(Sender(target, payloads[0]), MaxConnections, runLength, cancellationToken);
                        task.Increment(1);
                    }
                });

                Summarize(report, payloads, samples, throughput, nginx is not null);
            }
            finally
            {
                foreach (var c in clients.Values)
                {
                    c.Dispose();
                }
            }
        }
        finally
        {
            if (nginx is not null)
            {
                await nginx.DisposeAsync();
            }
        }

        return report;
    }

    private static void Summarize(
        ScenarioReport report,
        Payload[] payloads,
        Dictionary<(string Payload, string Target, bool Https), List<LoadResult>> samples,
        Dictionary<(string Target, bool Https), LoadResult> throughput,
        bool haveNginx)
    {
        (double P50, double P99, int Errors, string? FirstError) Median(string payload, string target, bool https)
        {
            if (!samples.TryGetValue((payload, target, https), out var runs))
            {
                return (double.NaN, double.NaN, 0, null);
            }

            return (Stats.Median(runs.Select(r => Stats.Percentile(r.LatenciesMs, 50))),
                    Stats.Median(runs.Select(r => Stats.Percentile(r.LatenciesMs, 99))),
                    runs.Sum(r => r.Errors),
                    runs.Select(r => r.FirstError).FirstOrDefault(e => e is not null));
        }

        foreach (var payload in payloads)
        {
            foreach (var https in new[] { false, true })
            {
                var direct = Median(payload.Name, Direct, false);
                var gateway = Median(payload.Name, Gateway, https);
                var nginx = Median(payload.Name, Nginx, https);
                var row = new JsonObject
                {
                    ["protocol"] = https ? "https" : "http",
                    ["payload"] = payload.Name,
                    ["rate_rps"] = payload.Rate,
                    ["direct_p50_ms"] = Stats.Round(direct.P50),
                    ["direct_p99_ms"] = Stats.Round(direct.P99),
                    ["gateway_p50_ms"] = Stats.Round(gateway.P50),
                    ["gateway_p99_ms"] = Stats.Round(gateway.P99),
                    ["added_p50_ms"] = Stats.Round(gateway.P50 - direct.P50),
                    ["added_p99_ms"] = Stats.Round(gateway.P99 - direct.P99),
                    ["nginx_p50_ms"] = haveNginx ? Stats.Round(nginx.P50) : null,
                    ["nginx_p99_ms"] = haveNginx ? Stats.Round(nginx.P99) : null,
                    ["nginx_added_p50_ms"] = haveNginx ? Stats.Round(nginx.P50 - direct.P50) : null,
                    ["nginx_added_p99_ms"] = haveNginx ? Stats.Round(nginx.P99 - direct.P99) : null,
                    ["errors"] = direct.Errors + gateway.Errors + nginx.Errors,
                };
                if (payload.Name == "small")
                {
                    row["max_rps"] = throughput.TryGetValue((Gateway, https), out var g) ? Math.Round(g.RequestsPerSecond) : null;
                    row["direct_max_rps"] = throughput.TryGetValue((Direct, false), out var d) ? Math.Round(d.RequestsPerSecond) : null;
                    row["nginx_max_rps"] = throughput.TryGetValue((Nginx, https), out var n) ? Math.Round(n.RequestsPerSecond) : null;
                }

                report.Rows.Add(row);
                foreach (var e in new[] { direct.FirstError, gateway.FirstError, nginx.FirstError }.Where(e => e is not null).Distinct())
                {
                    report.Notes.Add($"{payload.Name} {(https ? "https" : "http")}: errors seen, first: {e}");
                }
            }
        }

        report.Tables.Add(new TableView("Latency at fixed rate (medians over rounds, ms, from intended start)",
            ["protocol", "payload", "rate_rps", "direct_p50_ms", "direct_p99_ms", "gateway_p50_ms", "gateway_p99_ms", "added_p50_ms", "added_p99_ms", "nginx_added_p50_ms", "nginx_added_p99_ms", "errors"],
            _ => true));
        report.Tables.Add(new TableView("Maximum throughput (closed loop, small request)",
            ["protocol", "direct_max_rps", "nginx_max_rps", "max_rps"], r => (string?)r["payload"] == "small"));

        var smallHttp = report.Rows.First(r => (string?)r["payload"] == "small" && (string?)r["protocol"] == "http");
        var largeHttp = report.Rows.First(r => (string?)r["payload"] == "220KB" && (string?)r["protocol"] == "http");
        var a50 = (double?)smallHttp["added_p50_ms"] ?? double.NaN;
        var a99 = (double?)smallHttp["added_p99_ms"] ?? double.NaN;
        var l50 = (double?)largeHttp["added_p50_ms"] ?? double.NaN;
        var l99 = (double?)largeHttp["added_p99_ms"] ?? double.NaN;
        var d99 = (double?)smallHttp["direct_p99_ms"] ?? double.NaN;
        var ld99 = (double?)largeHttp["direct_p99_ms"] ?? double.NaN;

        // A p99 difference means nothing when the baseline's own p99 is several times the budget: the tail is the
        // machine's scheduling noise (style-perf §B.6), and the difference can even come out negative.
        bool NoisyTail(double directP99, double budget) => !(directP99 <= 3 * budget);
        report.Targets.Add(new TargetCheck("added p50, small, HTTP", "≤ 1 ms (style-perf §B.2 budget; prototype B.6: +1.0 ms)",
            F(a50), a50 <= 1.0, a50 > 1.0 ? $"missed by {F(a50 - 1.0)}" : null));
        report.Targets.Add(new TargetCheck("added p99, small, HTTP", "≤ 3 ms (prototype B.6: +4 ms)", $"{F(a99)} (direct p99 {F(d99)})",
            NoisyTail(d99, 3) ? null : a99 <= 3.0,
            NoisyTail(d99, 3) ? "inconclusive: the direct call's own p99 is over 9 ms, so the tail is scheduling noise on the shared machine"
                : a99 > 3.0 ? $"missed by {F(a99 - 3.0)}" : null));
        report.Targets.Add(new TargetCheck("added p50, 220 KB prompt, HTTP", "≤ 10 ms (upstream EPP ~261 ms body streaming, §B.3; prototype B.6 +3.0 ms)",
            F(l50), l50 <= 10.0, l50 > 10.0 ? $"missed by {F(l50 - 10.0)}" : null));
        report.Targets.Add(new TargetCheck("added p99, 220 KB prompt, HTTP", "≤ 10 ms (prototype B.6 +3.7 ms)", $"{F(l99)} (direct p99 {F(ld99)})",
            NoisyTail(ld99, 10) ? null : l99 <= 10.0,
            NoisyTail(ld99, 10) ? "inconclusive: the direct call's own p99 is over 30 ms, so the tail is scheduling noise on the shared machine"
                : l99 > 10.0 ? $"missed by {F(l99 - 10.0)}" : null));
        report.Targets.Add(new TargetCheck("max throughput, small, HTTP, 32 connections",
            "no target; prototype B.6 on a quiet machine: direct 41,531, nginx 21,396, YARP + picker 8,875 req/s",
            string.Create(CultureInfo.InvariantCulture, $"direct {smallHttp["direct_max_rps"]}, nginx {smallHttp["nginx_max_rps"]?.ToString() ?? "n/a"}, gateway + scheduler {smallHttp["max_rps"]} req/s"),
            null));
        report.Notes.Add("Added latency = gateway (or nginx) minus direct at the same percentile, medians over interleaved rounds; direct is HTTP to replica 0, so HTTPS rows include TLS.");
        report.Notes.Add("Replicas are simulator processes at --time-scale 1000 with max_tokens 1: the backend answers almost at once, so the figures are the data path's.");
        report.Notes.Add("Load generator, gateway, scheduler, replicas and nginx share the same 2 vCPUs: absolute numbers include contention; compare within the run only.");
    }

    private static string F(double ms) => double.IsNaN(ms) ? "n/a" : ms.ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    /// <summary>OpenAI chat bodies: a small one (~250 B), or one padded to <paramref name="padBytes"/> of prompt text.</summary>
    private static byte[][] Bodies(int variants, int padBytes)
    {
        var words = new[] { "latency", "gateway", "scheduler", "replica", "prefix", "cache", "token", "stream", "queue", "model" };
        var bodies = new byte[variants][];
        for (var v = 0; v < variants; v++)
        {
            var text = new StringBuilder(padBytes + 128);
            text.Append(CultureInfo.InvariantCulture, $"Request variant {v}: summarise the following notes in one sentence. ");
            var rng = new Random(v);
            while (text.Length < padBytes)
            {
                text.Append(words[rng.Next(words.Length)]).Append(' ');
            }

            var body = new JsonObject
            {
                ["model"] = Hosting.LocalCluster.Model,
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "system", ["content"] = "You are a helpful assistant. Answer briefly." },
                    new JsonObject { ["role"] = "user", ["content"] = text.ToString() }),
                ["max_tokens"] = 1,
                ["temperature"] = 0,
            };
            bodies[v] = Encoding.UTF8.GetBytes(body.ToJsonString());
        }

        return bodies;
    }
}
