using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace PatternOne.Scheduler.Prefix;

/// <summary>
/// Cuts a prompt into fixed-size character blocks and hashes them as a chain, as upstream's approximate prefix
/// index does: <c>h₀ = xxh64(block₀, seed = xxh64(model))</c>, <c>hᵢ = xxh64(blockᵢ, seed = hᵢ₋₁)</c>. Because each
/// hash covers everything before it, equal <c>hᵢ</c> means equal prefixes up to block i. A trailing partial block is
/// ignored and at most <c>maxBlocks</c> are hashed (the head of a prompt is what caches share).
/// </summary>
public static class PrefixHasher
{
    /// <summary>Characters per block (upstream <c>hashBlockSize</c>, 64 ≈ 16 tokens).</summary>
    public const int DefaultBlockSize = 64;

    /// <summary>Blocks considered per request (upstream <c>maxPrefixBlocksToMatch</c>, 256 blocks ≈ 16 KB of text).</summary>
    public const int DefaultMaxBlocks = 256;

    /// <summary>The chain's starting seed for a model, so different models never share blocks.</summary>
    public static ulong ModelSeed(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return XxHash64.HashToUInt64(MemoryMarshal.AsBytes(model.AsSpan()));
    }

    /// <summary>How many hashes <c>ComputeHashes</c> writes for a prompt of this length.</summary>
    public static int BlockCount(int promptLength, int blockSize, int maxBlocks) =>
        Math.Min(promptLength / blockSize, maxBlocks);

    /// <summary>Writes the chained block hashes of <paramref name="prompt"/> into <paramref name="destination"/>; returns the count.</summary>
    public static int ComputeHashes(string model, ReadOnlySpan<char> prompt, int blockSize, int maxBlocks, Span<ulong> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        var count = BlockCount(prompt.Length, blockSize, maxBlocks);
        if (destination.Length < count)
        {
            throw new ArgumentException($"Need room for {count} hashes.", nameof(destination));
        }

        var previous = ModelSeed(model);
        for (var i = 0; i < count; i++)
        {
            // Hashing the UTF-16 code units directly avoids transcoding; only equality of hashes matters.
            var block = MemoryMarshal.AsBytes(prompt.Slice(i * blockSize, blockSize));
            previous = XxHash64.HashToUInt64(block, unchecked((long)previous));
            destination[i] = previous;
        }

        return count;
    }

    /// <summary>Convenience overload returning a new array.</summary>
    public static ulong[] ComputeHashes(string model, string prompt, int blockSize = DefaultBlockSize, int maxBlocks = DefaultMaxBlocks)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var hashes = new ulong[BlockCount(prompt.Length, blockSize, maxBlocks)];
        ComputeHashes(model, prompt, blockSize, maxBlocks, hashes);
        return hashes;
    }
}
