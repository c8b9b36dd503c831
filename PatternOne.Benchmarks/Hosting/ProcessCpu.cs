using System.Globalization;

namespace PatternOne.Benchmarks.Hosting;

/// <summary>
/// CPU time (user + system) of a process and its live descendants, from Linux's <c>/proc/&lt;pid&gt;/stat</c>: nginx
/// runs its worker as a child of the master, so the process alone would miss the work. NaN where /proc is absent.
/// </summary>
public static class ProcessCpu
{
    // USER_HZ: the unit of utime/stime in /proc; 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    public static double Seconds(IEnumerable<int> roots)
    {
        if (!Directory.Exists("/proc/self"))
        {
            return double.NaN;
        }

        var stats = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } stat)
            {
                stats[pid] = stat;
            }
        }

        var wanted = new HashSet<int>(roots);
        // Descendants: repeat until no process with a wanted parent is left out (process trees here are shallow).
        bool grew;
        do
        {
            grew = false;
            foreach (var (pid, stat) in stats)
            {
                if (wanted.Contains(stat.Parent) && wanted.Add(pid))
                {
                    grew = true;
                }
            }
        }
        while (grew);

        return wanted.Sum(pid => stats.TryGetValue(pid, out var s) ? s.Ticks : 0) / TicksPerSecond;
    }

    private static (int Parent, long Ticks)? Read(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may contain spaces: fields are counted after the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // After the name: state(3) ppid(4) … utime(14) stime(15), so index = field number - 3.
            return (int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // The process ended while the table was read.
            return null;
        }
    }
}
