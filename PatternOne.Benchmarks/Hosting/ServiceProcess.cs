using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PatternOne.Benchmarks.Hosting;

/// <summary>
/// A child process the HTTP scenarios start themselves (a built service dll, or nginx): output goes to a log file in the
/// run's work directory, readiness is an HTTP probe, and disposal kills the whole process tree.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    // Children still running; killed if this tool is terminated (SIGTERM) before it could dispose them.
    private static readonly HashSet<Process> Live = [];
    private static readonly Lock LiveGate = new();

    static ServiceProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServiceProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    /// <summary>Starts <c>dotnet &lt;dll&gt; args</c> (or <paramref name="fileName"/> directly when no dll is given).</summary>
    public static ServiceProcess Start(string name, string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, string workDirectory)
    {
        Directory.CreateDirectory(workDirectory);
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // The services log to the console; keep that terse so logging does not distort what is measured.
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }

        var logPath = Path.Combine(workDirectory, name + ".log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {name}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (LiveGate)
        {
            Live.Add(process);
        }

        return new ServiceProcess(name, process, log, logPath);
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Waits until <paramref name="url"/> answers 2xx, the process exits, or the timeout passes.</summary>
    public async Task WaitReadyAsync(HttpClient client, Uri url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new ServiceExitedException(Name, _process.ExitCode, LogPath, Tail());
            }

            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(probe.Token, cancellationToken);
                using var response = await client.GetAsync(url, linked.Token).WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
            }

            // Polling a readiness probe: there is no event to wait on across a process boundary.
            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{Name} not ready at {url} after {timeout.TotalSeconds:F0} s; log: {LogPath}\n{Tail()}");
    }

    public string Tail(int lines = 30)
    {
        try
        {
            lock (_log)
            {
                _log.Flush();
            }

            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static void KillAll()
    {
        lock (LiveGate)
        {
            foreach (var p in Live)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                }
            }

            Live.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (LiveGate)
        {
            Live.Remove(_process);
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static (int From, int To)? _portRange;
    private static int _nextPort;

    /// <summary>
    /// Takes every port this run hands out from <paramref name="from"/>..<paramref name="to"/> (<c>--ports</c>), so
    /// runs on a shared machine can be given disjoint ranges instead of racing for the kernel's ephemeral ports.
    /// </summary>
    public static void UsePortRange(int from, int to)
    {
        _portRange = (from, to);
        _nextPort = from;
    }

    /// <summary>
    /// A loopback port free right now (bound and released; the race with other processes is accepted): the next free
    /// one of the <see cref="UsePortRange"/> range, or one the kernel picks.
    /// </summary>
    public static int FreePort()
    {
        if (_portRange is not { } range)
        {
            using var any = new TcpListener(IPAddress.Loopback, 0);
            any.Start();
            var port = ((IPEndPoint)any.LocalEndpoint).Port;
            any.Stop();
            return port;
        }

        for (var tried = 0; tried <= range.To - range.From; tried++)
        {
            var port = Interlocked.Increment(ref _nextPort) - 1;
            if (port > range.To)
            {
                Interlocked.Exchange(ref _nextPort, range.From + 1);
                port = range.From;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken by someone else: try the next one.
            }
        }

        throw new InvalidOperationException($"no free loopback port in {range.From}-{range.To}");
    }
}
