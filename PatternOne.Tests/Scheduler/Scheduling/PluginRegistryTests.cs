using PatternOne.Scheduler.Scheduling;

namespace PatternOne.Tests.Scheduler.Scheduling;

public class PluginRegistryTests
{
    public static TheoryData<string> Registered => [.. PluginRegistry.Types];

    [Fact]
    public void Registry_HoldsEveryPluginThisServiceImplements()
    {
        Assert.Equal(
            ["active-request-scorer", "kv-cache-utilization-scorer", "load-aware-scorer", "max-score-picker", "prefill-load-scorer", "prefix-cache-scorer",
             "queue-scorer", "random-picker", "round-robin-picker", "utilization-detector", "weighted-random-picker"],
            PluginRegistry.Types);
    }

    [Theory]
    [MemberData(nameof(Registered))]
    public void Factory_BuildsAPluginOfItsOwnType_WithDefaultParameters(string type)
    {
        Assert.True(PluginRegistry.TryGetFactory(type, out var create));

        var plugin = create("instance", new PluginParameters("instance", null));

        Assert.Equal((type, "instance"), (plugin.Type, plugin.Name));
    }

    [Fact]
    public void UpstreamBuiltIns_AreNotRegisteredPlugins()
    {
        Assert.DoesNotContain(PluginRegistry.BuiltInUpstreamTypes, type => PluginRegistry.TryGetFactory(type, out _));
    }
}
