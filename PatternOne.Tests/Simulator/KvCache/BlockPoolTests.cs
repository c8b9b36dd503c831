using PatternOne.VllmSimulator.KvCache;

namespace PatternOne.Tests.Simulator.KvCache;

public class BlockPoolTests
{
    [Fact]
    public void Allocate_TakesLeastRecentlyFreedBlockFirst()
    {
        var pool = new BlockPool(5);
        var a = new List<int>();
        var b = new List<int>();
        pool.Allocate(2, a);
        pool.Allocate(2, b);
        var firstFreed = a[1];
        pool.Cache(a[0], 1);
        pool.Cache(a[1], 2);
        pool.FreeReversed(a);
        pool.FreeReversed(b);

        var next = new List<int>();
        pool.Allocate(1, next);

        // a was freed in reverse order, so its tail block (hash 2) is the oldest free block and goes first.
        Assert.Equal(firstFreed, next[0]);
        Assert.False(pool.TryGetCached(2, out _));
        Assert.True(pool.TryGetCached(1, out _));
        Assert.Equal(1, pool.Evictions);
    }

    [Fact]
    public void Usage_CountsCachedUnreferencedBlocksAsFree()
    {
        var pool = new BlockPool(11);
        var blocks = new List<int>();
        pool.Allocate(5, blocks);
        Assert.Equal(0.5, pool.Usage, 6);
        pool.Cache(blocks[0], 42);

        pool.FreeReversed(blocks);

        Assert.Equal(0, pool.Usage, 6);
        Assert.True(pool.TryGetCached(42, out var id));
        pool.Touch(id);
        Assert.Equal(0.1, pool.Usage, 6);
    }

    [Fact]
    public void ChainedHash_DependsOnEveryEarlierBlock()
    {
        var first = BlockHasher.Hash(BlockHasher.RootHash, [1, 2, 3]);
        var otherFirst = BlockHasher.Hash(BlockHasher.RootHash, [1, 2, 4]);

        Assert.NotEqual(BlockHasher.Hash(first, [5, 6, 7]), BlockHasher.Hash(otherFirst, [5, 6, 7]));
        Assert.Equal(first, BlockHasher.Hash(BlockHasher.RootHash, [1, 2, 3]));
    }
}
