namespace PatternOne.Benchmarks.Hosting;

/// <summary>
/// A <see cref="ServiceProcess"/> exited before it was ready. A process hands back only its exit code and its output,
/// so what it said is read here, once, next to its log rather than by whoever started it.
/// </summary>
public sealed class ServiceExitedException(string serviceName, int exitCode, string logPath, string logTail)
    : InvalidOperationException($"{serviceName} exited with code {exitCode} before it was ready; log: {logPath}\n{logTail}")
{
    public string ServiceName { get; } = serviceName;

    public int ExitCode { get; } = exitCode;

    /// <summary>
    /// The process could not bind a port it was given: another process took it between <see cref="ServiceProcess.FreePort"/>
    /// and the bind (the runtime's SocketException text for EADDRINUSE in its log). Fresh ports fix it.
    /// </summary>
    public bool LostItsPort { get; } = logTail.Contains("Address already in use", StringComparison.Ordinal);
}
