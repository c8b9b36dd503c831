namespace PatternOne.VllmSimulator.KvCache;

/// <summary>
/// The fixed pool of KV blocks of one engine, with vLLM's automatic prefix caching (vLLM's docs/design/prefix_caching.md and vllm/v1/core/block_pool.py):
/// <list type="number">
/// <item>block 0 is the reserved null block, so usable capacity is <c>num_gpu_blocks − 1</c>;</item>
/// <item>free blocks sit in a doubly linked queue in eviction order; allocation pops the head (LRU) and drops the
/// popped block's hash from the cache map (an eviction);</item>
/// <item>a block whose ref count drops to 0 goes to the tail but keeps its hash, so it still serves hits until
/// reallocated ("touching" it takes it off the queue);</item>
/// <item>callers free a request's blocks in reverse order, so its tail is evicted before its shared prefix.</item>
/// </list>
/// Not thread-safe: one engine step loop owns it.
/// </summary>
internal sealed class BlockPool
{
    private const int None = -1;

    private readonly int[] _refCount;
    private readonly ulong[] _hash;
    private readonly bool[] _hasHash;
    private readonly int[] _prev;
    private readonly int[] _next;
    private readonly Dictionary<ulong, int> _cached = [];
    private int _head = None;
    private int _tail = None;

    public BlockPool(int numBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numBlocks, 2);
        NumBlocks = numBlocks;
        _refCount = new int[numBlocks];
        _hash = new ulong[numBlocks];
        _hasHash = new bool[numBlocks];
        _prev = new int[numBlocks];
        _next = new int[numBlocks];
        Array.Fill(_prev, None);
        Array.Fill(_next, None);
        _refCount[0] = 1; // the null block is never handed out
        for (var id = 1; id < numBlocks; id++)
        {
            Append(id);
        }
    }

    /// <summary>Total blocks including the null block (vLLM's <c>num_gpu_blocks</c>).</summary>
    public int NumBlocks { get; }

    /// <summary>Blocks nobody references (cached-but-unreferenced blocks count as free, as in vLLM).</summary>
    public int FreeCount { get; private set; }

    /// <summary>Blocks evicted from the prefix cache since start.</summary>
    public long Evictions { get; private set; }

    /// <summary><c>1 − free / (num_gpu_blocks − 1)</c>, vLLM's <c>kv_cache_usage_perc</c>.</summary>
    public double Usage => 1.0 - ((double)FreeCount / (NumBlocks - 1));

    /// <summary>The cached block holding <paramref name="hash"/>, if any.</summary>
    public bool TryGetCached(ulong hash, out int blockId) => _cached.TryGetValue(hash, out blockId);

    /// <summary>True if the block is unreferenced (touching it would consume a free slot).</summary>
    public bool IsFree(int blockId) => _refCount[blockId] == 0;

    /// <summary>Takes a reference on a cached block (removing it from the free queue if it was free).</summary>
    public void Touch(int blockId)
    {
        if (_refCount[blockId] == 0)
        {
            Remove(blockId);
        }

        _refCount[blockId]++;
    }

    /// <summary>Pops <paramref name="count"/> blocks from the head of the free queue, evicting their hashes.</summary>
    public void Allocate(int count, List<int> into)
    {
        if (count > FreeCount)
        {
            throw new InvalidOperationException($"Cannot allocate {count} blocks with {FreeCount} free.");
        }

        for (var i = 0; i < count; i++)
        {
            var id = _head;
            Remove(id);
            if (_hasHash[id])
            {
                // Duplicate blocks are not in the map; only evict the entry that points at this block.
                if (_cached.TryGetValue(_hash[id], out var owner) && owner == id)
                {
                    _cached.Remove(_hash[id]);
                }

                _hasHash[id] = false;
                Evictions++;
            }

            _refCount[id] = 1;
            into.Add(id);
        }
    }

    /// <summary>Registers a full block under its chained hash so later requests can hit it.</summary>
    public void Cache(int blockId, ulong hash)
    {
        if (_hasHash[blockId])
        {
            return;
        }

        // vLLM allows duplicate blocks for one hash; the first stays the one that later lookups find.
        if (_cached.TryAdd(hash, blockId))
        {
            _hash[blockId] = hash;
            _hasHash[blockId] = true;
        }
    }

    /// <summary>
    /// Forgets every cached block, as vLLM's <c>reset_prefix_cache</c>: only when no request holds a block (vLLM
    /// refuses while blocks are in use, because running requests still point at them). False when refused.
    /// </summary>
    public bool ResetPrefixCache()
    {
        if (FreeCount != NumBlocks - 1)
        {
            return false;
        }

        _cached.Clear();
        Array.Clear(_hasHash);
        return true;
    }

    /// <summary>Drops one reference from each block, last block first, so a request's tail is evicted first.</summary>
    public void FreeReversed(List<int> blocks)
    {
        for (var i = blocks.Count - 1; i >= 0; i--)
        {
            var id = blocks[i];
            if (--_refCount[id] == 0)
            {
                Append(id);
            }
        }

        blocks.Clear();
    }

    private void Append(int id)
    {
        _prev[id] = _tail;
        _next[id] = None;
        if (_tail == None)
        {
            _head = id;
        }
        else
        {
            _next[_tail] = id;
        }

        _tail = id;
        FreeCount++;
    }

    private void Remove(int id)
    {
        var prev = _prev[id];
        var next = _next[id];
        if (prev == None)
        {
            _head = next;
        }
        else
        {
            _next[prev] = next;
        }

        if (next == None)
        {
            _tail = prev;
        }
        else
        {
            _prev[next] = prev;
        }

        _prev[id] = None;
        _next[id] = None;
        FreeCount--;
    }
}
