using PatternOne.Gateway.Observability;

namespace PatternOne.Tests.Gateway.Observability;

public class RequestIdsTests
{
    [Fact]
    public void New_IsAVersion4UuidInTheFormGuidNewGuidGives()
    {
        var id = RequestIds.New();

        Assert.True(Guid.TryParseExact(id, "D", out var parsed), id);
        Assert.Equal(Guid.NewGuid().ToString().Length, id.Length);
        Assert.Equal(id, id.ToLowerInvariant());
        Assert.Equal(4, parsed.Version);
        // RFC 9562 variant 10xx: the first hex digit of the fourth group is 8, 9, a or b.
        Assert.Contains(id[19], "89ab");
    }

    [Fact]
    public async Task New_IsUniqueAcrossRefillsAndThreads()
    {
        // 256 ids per refill of a thread's buffer: 4,000 per thread crosses 15 refills on each of 4 threads.
        const int PerThread = 4_000;
        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, PerThread).Select(_ => RequestIds.New()).ToList())));

        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        Assert.All(all, id => Assert.Equal(4, Guid.ParseExact(id, "D").Version));
    }

    [Fact]
    public void New_KeepsEveryOtherBitRandom()
    {
        // Over many ids each of the 122 random bits must take both values; a bit stuck at 0 or 1 (a mask or copy
        // mistake) would show. Versions and variant bits are fixed by design and skipped.
        var ones = new int[128];
        const int Count = 2_000;
        for (var i = 0; i < Count; i++)
        {
            var bytes = Guid.ParseExact(RequestIds.New(), "D").ToByteArray(bigEndian: true);
            for (var bit = 0; bit < 128; bit++)
            {
                ones[bit] += (bytes[bit / 8] >> (7 - (bit % 8))) & 1;
            }
        }

        var fixedBits = new HashSet<int> { 48, 49, 50, 51, 64, 65 };
        for (var bit = 0; bit < 128; bit++)
        {
            if (!fixedBits.Contains(bit))
            {
                Assert.InRange(ones[bit], Count / 4, Count * 3 / 4);
            }
        }
    }
}
