using BenchmarkDotNet.Attributes;
using PatternOne.Scheduler.Prefix;
using PatternOne.Scheduler.Scheduling;
using static PatternOne.Benchmarks.HotPaths.HotPathInputs;

namespace PatternOne.Benchmarks.HotPaths;

/// <summary>
/// The prefix index on its own (upstream's <c>BenchmarkPrefixPluginStress</c> territory): hashing a 16 KB prompt into
/// 64-character chained blocks, matching it against N endpoints, and learning a new prompt (insert with LRU eviction
/// once an endpoint's capacity is full).
/// </summary>
[MemoryDiagnoser]
public class PrefixIndexBenchmarks : WarmIndexBenchmark
{
    private PrefixIndex _index = null!;
    private string _prompt = "";
    private ulong[] _hashes = [];
    private ulong[][] _fresh = [];
    private int[] _matched = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        _prompt = RandomText(rng, PromptChars);
        _hashes = PrefixHasher.ComputeHashes(Model, _prompt);
        CreatePool(i => new EndpointSnapshot { Address = EndpointAddress(i) });
        _matched = new int[Endpoints];

        // A warm index: every endpoint holds other 16 KB prompts, and one endpoint holds this prompt.
        _index = new PrefixIndex(capacityPerEndpoint: 4096);
        WarmUp(address => _index.Learn(address, PrefixHasher.ComputeHashes(Model, RandomText(rng, PromptChars))));
        _index.Learn(Pool[HolderIndex].Address, _hashes);
        _fresh = Enumerable.Range(0, 64).Select(_ => PrefixHasher.ComputeHashes(Model, RandomText(rng, PromptChars))).ToArray();
    }

    /// <summary>Cut and hash a 16 KB prompt (256 blocks of 64 characters).</summary>
    [Benchmark]
    public int Hash16KbPrompt()
    {
        Span<ulong> destination = stackalloc ulong[PrefixHasher.DefaultMaxBlocks];
        return PrefixHasher.ComputeHashes(Model, _prompt, PrefixHasher.DefaultBlockSize, PrefixHasher.DefaultMaxBlocks, destination);
    }

    /// <summary>Longest held prefix of a 16 KB prompt on every endpoint.</summary>
    [Benchmark]
    public int Lookup()
    {
        _index.Match(_hashes, Pool, _matched);
        return _matched[HolderIndex];
    }

    /// <summary>Learn a 16 KB prompt's 256 blocks on one endpoint (the index is at capacity, so it also evicts).</summary>
    [Benchmark]
    public void Insert()
    {
        var i = _next++;
        _index.Learn(Pool[i % Endpoints].Address, _fresh[i % _fresh.Length]);
    }
}
