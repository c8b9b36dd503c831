using System.Globalization;

namespace PatternOne.Benchmarks.Hosting;

/// <summary>
/// One reading of a process's resident memory (MiB): the total (VmRSS, what the OOM killer and a pod's memory limit
/// count), split into anonymous pages (GC heap, native allocations, thread stacks), file-backed pages (mapped
/// assemblies and native libraries paged in as code runs) and shared memory (the runtime's double-mapped executable
/// memory: JIT-compiled code and stubs, written through one mapping and run through another).
/// </summary>
public readonly record struct ResidentMemory(double RssMb, double AnonMb, double FileMb, double ShmemMb);

/// <summary>Resident memory of a process from Linux's <c>/proc/&lt;pid&gt;/status</c>.</summary>
public static class ProcessMemory
{
    /// <summary>The process's resident memory, or null when the process is gone or /proc is absent.</summary>
    public static ResidentMemory? Read(int pid)
    {
        try
        {
            double? rss = null, anon = null, file = null, shmem = null;
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                // "VmRSS:     123456 kB", "RssAnon: …", "RssFile: …", "RssShmem: …"
                switch (line.Split(':', 2)[0])
                {
                    case "VmRSS": rss = Mb(line); break;
                    case "RssAnon": anon = Mb(line); break;
                    case "RssFile": file = Mb(line); break;
                    case "RssShmem": shmem = Mb(line); break;
                }
            }

            return rss is { } total ? new ResidentMemory(total, anon ?? double.NaN, file ?? double.NaN, shmem ?? double.NaN) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // The process ended while it was read.
            return null;
        }
    }

    private static double Mb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
}
