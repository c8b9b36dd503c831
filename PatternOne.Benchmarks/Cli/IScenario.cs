using PatternOne.Benchmarks.Reporting;

namespace PatternOne.Benchmarks.Cli;

/// <summary>One benchmark scenario: runs with the given context and returns what it measured.</summary>
public interface IScenario
{
    string Name { get; }

    Task<ScenarioReport> RunAsync(RunContext context, CancellationToken cancellationToken);
}

/// <summary>What every scenario gets: options, the repository layout, a seeded RNG source.</summary>
public sealed record RunContext(BenchmarkOptions Options, RepoLayout Repo)
{
    public bool Quick => Options.Quick;

    /// <summary>A new deterministic RNG per use, derived from the run's seed and a stream id.</summary>
    public Random NewRandom(int stream) => new(StableSeed.Of(Options.Seed, stream));
}
