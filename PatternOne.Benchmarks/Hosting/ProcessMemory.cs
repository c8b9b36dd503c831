using System.Globalization;

namespace PatternOne.Benchmarks.Hosting;

/// <summary>Resident set size of a process from Linux's <c>/proc/&lt;pid&gt;/status</c> (VmRSS): what the OOM killer and a pod's memory limit count.</summary>
public static class ProcessMemory
{
    /// <summary>RSS in MiB, or null when the process is gone or /proc is absent.</summary>
    public static double? RssMb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    // "VmRSS:     123456 kB"
                    var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                    return kb / 1024.0;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // The process ended while it was read.
        }

        return null;
    }
}
