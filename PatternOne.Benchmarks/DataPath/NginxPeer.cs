using System.Globalization;
using PatternOne.Benchmarks.Hosting;

namespace PatternOne.Benchmarks.DataPath;

/// <summary>nginx as a plain reverse proxy over the same replicas, via benchmarks/nginx.sh (install, config, run).</summary>
public static class NginxPeer
{
    /// <summary>Installs nginx when missing; returns null when it is usable, else the reason.</summary>
    public static async Task<string?> EnsureInstalledAsync(string? script, CancellationToken cancellationToken)
    {
        if (script is null || !File.Exists(script))
        {
            return "benchmarks/nginx.sh not found";
        }

        var info = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("install");
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        await p.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
        return p.ExitCode == 0 ? null : $"nginx unavailable ({(await stderr).Trim()} {(await stdout).Trim()})";
    }

    public static ServiceProcess Start(string script, string workDirectory, int httpPort, int httpsPort, string cert, string key, IEnumerable<int> upstreamPorts)
    {
        var args = new List<string>
        {
            script, "run", Path.Combine(workDirectory, "nginx"),
            httpPort.ToString(CultureInfo.InvariantCulture), httpsPort.ToString(CultureInfo.InvariantCulture), cert, key,
        };
        args.AddRange(upstreamPorts.Select(p => $"127.0.0.1:{p}"));
        return ServiceProcess.Start("nginx", "bash", args, new Dictionary<string, string>(), workDirectory);
    }
}
