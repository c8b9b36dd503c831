using PatternOne.Tests.Infrastructure;

namespace PatternOne.Tests.Scheduler.Integration;

/// <summary>The real AppHost with three simulated replicas (<c>Pool:Replicas=3</c>).</summary>
public sealed class ThreeReplicaStackFixture : StackFixture
{
    protected override int Replicas => 3;
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreeReplicaStackCollection : ICollectionFixture<ThreeReplicaStackFixture>
{
    public const string Name = "Three-replica stack";
}
