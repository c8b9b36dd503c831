namespace PatternOne.VllmSimulator.KvCache;

/// <summary>
/// Chained block hashes as vLLM's automatic prefix caching computes them: the hash of block <c>i</c> covers its
/// parent's hash and the block's token ids, so equal hashes mean equal prefixes, not just equal blocks
/// (vLLM <c>hash_block_tokens(parent_hash, token_ids, extra_keys)</c>).
/// </summary>
/// <remarks>
/// vLLM uses SHA-256 over a pickle; a 64-bit mix is enough here because nothing outside the process compares hashes,
/// and it keeps the step loop cheap. The root is a fixed constant (vLLM's <c>NONE_HASH</c> with
/// <c>PYTHONHASHSEED</c> set), so two replicas hash the same prompt identically.
/// </remarks>
public static class BlockHasher
{
    /// <summary>The parent hash of a sequence's first block.</summary>
    public const ulong RootHash = 0x9E3779B97F4A7C15UL;

    private const ulong Prime = 0x100000001B3UL;

    /// <summary>Hash of one full block chained to <paramref name="parentHash"/>.</summary>
    public static ulong Hash(ulong parentHash, ReadOnlySpan<int> blockTokens)
    {
        var hash = parentHash ^ 0xCBF29CE484222325UL;
        foreach (var token in blockTokens)
        {
            hash = (hash ^ (uint)token) * Prime;
            hash ^= hash >> 29;
        }

        // Final avalanche (SplitMix64) so nearby token ids do not produce nearby hashes.
        hash ^= hash >> 30;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 27;
        hash *= 0x94D049BB133111EBUL;
        hash ^= hash >> 31;
        return hash;
    }
}
