using System.Globalization;

namespace PatternOne.AppHost.Recovery;

/// <summary>
/// The service process behind a project resource. Locally the orchestrator starts projects as
/// <c>dotnet run --project …</c>, so the pid the dashboard shows (<c>executable.pid</c>) is that launcher and the service
/// is its child: a crash is the service exiting (the launcher then exits with it and the supervisor restarts the
/// resource); killing the launcher outright (SIGKILL) instead leaves the service running, holding its port, and is not
/// recovered from.
/// </summary>
public static class ServiceProcess
{
    /// <summary>The dashboard property holding the launcher's pid.</summary>
    public const string LauncherPidProperty = "executable.pid";

    /// <summary>The direct children of <paramref name="pid"/> (Linux <c>/proc</c>; empty elsewhere or once it is gone).</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid)
    {
        var tasks = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task";
        if (!Directory.Exists(tasks))
        {
            return [];
        }

        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories(tasks))
            {
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    children.Add(int.Parse(child, CultureInfo.InvariantCulture));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process ended while it was read.
        }

        return children;
    }
}
