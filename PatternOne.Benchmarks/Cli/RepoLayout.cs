namespace PatternOne.Benchmarks.Cli;

/// <summary>
/// Finds the repository (the directory holding PatternOne.sln) and the built dlls of the services, so the HTTP
/// scenarios can start them as processes: <c>&lt;repo&gt;/&lt;Project&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;Project&gt;.dll</c>.
/// </summary>
public sealed record RepoLayout(string? Root, string Configuration)
{
    public const string SolutionFile = "PatternOne.sln";
    public const string Gateway = "PatternOne.Gateway";
    public const string Scheduler = "PatternOne.Scheduler";
    public const string Simulator = "PatternOne.VllmSimulator";
    private const string TargetFramework = "net10.0";

    public static RepoLayout Discover(string? configuration)
    {
        var root = FindRoot(AppContext.BaseDirectory) ?? FindRoot(Environment.CurrentDirectory);
        configuration ??= InferConfiguration(AppContext.BaseDirectory);
        return new RepoLayout(root, configuration);
    }

    public static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>The configuration this tool was built in (…/bin/Release/net10.0/ → Release).</summary>
    public static string InferConfiguration(string baseDirectory)
    {
        var parts = baseDirectory.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        var bin = Array.LastIndexOf(parts, "bin");
        return bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Release";
    }

    /// <summary>Path of a service's built dll, or null when it is not built (the scenario then says so and skips).</summary>
    public string? Dll(string project)
    {
        if (Root is null)
        {
            return null;
        }

        var path = Path.Combine(Root, project, "bin", Configuration, TargetFramework, project + ".dll");
        return File.Exists(path) ? path : null;
    }

    public string DefaultOutput => Path.Combine(Root ?? Environment.CurrentDirectory, "benchmarks", "results");

    public string? Script(string name) => Root is null ? null : Path.Combine(Root, "benchmarks", name);
}
