using PatternOne.Scheduler.Prefix;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;
using PatternOne.Scheduler.Scorers;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace PatternOne.Benchmarks.Reliability;

/// <summary>
/// The scheduler's prefix index during the soak. At the default (<c>autoTune</c> from the simulator's TPU-sized KV cache:
/// ~100k blocks per replica) the index fills for hours at the soak's load, so a 30-minute window sees a bounded cache
/// growing and cannot tell it from a leak. The soak's stack therefore runs the default profile with a small fixed
/// capacity, which the load fills during the warm-up: whatever still grows in the measured window is something else.
/// The default's own bound is measured apart (<see cref="MeasureFull"/>: the live bytes of a full index at the
/// capacity autoTune gives), so both questions get an answer: does anything leak, and does the default bound fit.
/// </summary>
public static class SoakPrefixIndex
{
    /// <summary>Blocks per replica in the soak's index: the load adds ~20 blocks/s, so 3 replicas fill it within ~3 minutes.</summary>
    public const int CapacityPerReplica = 1024;

    /// <summary>The default profile with the prefix scorer's <c>autoTune</c> off and <c>lruCapacityPerServer</c> = <paramref name="capacityPerReplica"/>.</summary>
    public static string SchedulerConfig(int capacityPerReplica = CapacityPerReplica)
    {
        var config = EndpointPickerConfigLoader.Parse(BuiltInProfiles.GetYaml(BuiltInProfiles.Default));
        var prefix = config.Plugins.SingleOrDefault(p => p.Type == PrefixCacheScorer.PluginType)
            ?? throw new InvalidOperationException($"The default profile has no {PrefixCacheScorer.PluginType}: the soak's bounded index has nothing to bound.");
        prefix.Parameters = new Dictionary<string, object?>(prefix.Parameters ?? [], StringComparer.Ordinal)
        {
            ["autoTune"] = false,
            ["lruCapacityPerServer"] = capacityPerReplica,
        };
        var yaml = new SerializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
            .Build()
            .Serialize(config);
        SchedulerFactory.FromYaml(yaml); // the scheduler must accept it, or the soak would measure a stack that never started
        return yaml;
    }

    /// <summary>The live managed size of a full default index (see <see cref="MeasureFull"/>).</summary>
    public sealed record Footprint(int CapacityPerReplica, int Replicas, long Blocks, long Bytes)
    {
        public double BytesPerBlock => (double)Bytes / Blocks;

        public double MiB => Bytes / (1024.0 * 1024);
    }

    /// <summary>
    /// The capacity the default profile's prefix scorer tunes itself to for a replica reporting this KV cache (its own
    /// autoTune code), and the live heap of an index holding that many distinct blocks for each of
    /// <paramref name="replicas"/> replicas, measured here as the difference of two full collections.
    /// </summary>
    public static Footprint MeasureFull(long kvTotalBlocks, int kvBlockSize, int replicas)
    {
        var config = EndpointPickerConfigLoader.Parse(BuiltInProfiles.GetYaml(BuiltInProfiles.Default));
        var spec = config.Plugins.Single(p => p.Type == PrefixCacheScorer.PluginType);
        var scorer = (PrefixCacheScorer)PrefixCacheScorer.Create(spec.Name ?? spec.Type, new PluginParameters(spec.Type, spec.Parameters));
        const string Probe = "10.0.0.1:8000";
        scorer.Score(new SchedulingContext(new SchedulingRequest(), DateTimeOffset.UtcNow, new Random(1)),
            [new EndpointSnapshot { Address = Probe, KvTotalBlocks = kvTotalBlocks, KvBlockSize = kvBlockSize }], new double[1]);
        var capacity = scorer.Index.CapacityFor(Probe);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var index = new PrefixIndex(capacity);
        var random = new Random(15);
        var hashes = new ulong[PrefixHasher.DefaultMaxBlocks];
        for (var replica = 0; replica < replicas; replica++)
        {
            var address = $"10.0.0.{replica + 1}:8000";
            for (var learned = 0; learned < capacity; learned += hashes.Length)
            {
                random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(hashes.AsSpan()));
                index.Learn(address, hashes.AsSpan(0, Math.Min(hashes.Length, capacity - learned)));
            }
        }

        var bytes = GC.GetTotalMemory(forceFullCollection: true) - before;
        var blocks = (long)index.Size;
        GC.KeepAlive(index);
        return new Footprint(capacity, replicas, blocks, bytes);
    }
}
