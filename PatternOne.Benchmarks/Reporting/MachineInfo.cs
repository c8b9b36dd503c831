using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace PatternOne.Benchmarks.Reporting;

/// <summary>The machine a result was measured on: results only compare under the same conditions (see benchmarks/README.md).</summary>
public static class MachineInfo
{
    public static JsonObject Describe()
    {
        return new JsonObject
        {
            ["nproc"] = Environment.ProcessorCount,
            ["memory_gb"] = Math.Round(TotalMemoryBytes() / 1024.0 / 1024 / 1024, 1),
            ["cpu_model"] = CpuModel(),
            ["os"] = RuntimeInformation.OSDescription,
            ["arch"] = RuntimeInformation.OSArchitecture.ToString(),
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["server_gc"] = System.Runtime.GCSettings.IsServerGC,
        };
    }

    /// <summary>1-minute load average from /proc/loadavg (the machine is shared; a busy neighbour shows here), or NaN.</summary>
    public static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    public static string OneLine(JsonObject m) =>
        $"{m["nproc"]} vCPU ({m["cpu_model"]}), {m["memory_gb"]} GB RAM, {m["os"]} {m["arch"]}, {m["dotnet"]}";

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static long TotalMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
                    return kb * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
