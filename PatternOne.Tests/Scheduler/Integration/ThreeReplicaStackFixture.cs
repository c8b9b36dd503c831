using PatternOne.Tests.Infrastructure;

namespace PatternOne.Tests.Scheduler.Integration;

/// <summary>
/// The real AppHost with three simulated replicas (<c>Pool:Replicas=3</c>); the scheduler knows one sheddable
/// objective, <see cref="SheddableObjective"/> (priority -1).
/// </summary>
public class ThreeReplicaStackFixture : StackFixture
{
    public const string SheddableObjective = "batch";

    protected override int Replicas => 3;

    protected override IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ResourceEnvironment { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["scheduler"] = new Dictionary<string, string> { [$"InferencePool__Objectives__{SheddableObjective}__Priority"] = "-1" },
        };
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreeReplicaStackCollection : ICollectionFixture<ThreeReplicaStackFixture>
{
    public const string Name = "Three-replica stack";
}

/// <summary>A three-replica stack of its own, for a test that must run right after the stack became ready.</summary>
public sealed class FreshThreeReplicaStackFixture : ThreeReplicaStackFixture;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FreshThreeReplicaStackCollection : ICollectionFixture<FreshThreeReplicaStackFixture>
{
    public const string Name = "Fresh three-replica stack";
}
