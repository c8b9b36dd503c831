
namespace PatternOne.Tests.Scheduler.Integration;

/// <summary>
/// The real AppHost with three simulated replicas (<c>Pool:Replicas=3</c>). The scheduler knows one sheddable
/// objective, <see cref="SheddableObjective"/> (priority -1), and each replica's engine runs at most
/// <see cref="MaxNumSeqs"/> sequences at once, so a test can fill its waiting queue with tens of requests whatever the
/// simulator's KV-cache size.
/// </summary>
public sealed class ThreeReplicaStackFixture : StackFixture
{
    public const string SheddableObjective = "batch";

    public const int MaxNumSeqs = 16;

    protected override int Replicas => 3;

    protected override IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ResourceEnvironment { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["scheduler"] = new Dictionary<string, string> { [$"InferencePool__Objectives__{SheddableObjective}__Priority"] = "-1" },
        };

    protected override IReadOnlyDictionary<string, IReadOnlyList<string>> ResourceArguments { get; } =
        Enumerable.Range(0, 3).ToDictionary(i => $"{PoolName}-{i}", _ => (IReadOnlyList<string>)["--max-num-seqs", MaxNumSeqs.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreeReplicaStackCollection : ICollectionFixture<ThreeReplicaStackFixture>
{
    public const string Name = "Three-replica stack";
}

/// <summary>A three-replica stack of its own, as the README starts it, for a test that must run right after the stack became ready.</summary>
public sealed class FreshThreeReplicaStackFixture : StackFixture
{
    protected override int Replicas => 3;
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FreshThreeReplicaStackCollection : ICollectionFixture<FreshThreeReplicaStackFixture>
{
    public const string Name = "Fresh three-replica stack";
}
