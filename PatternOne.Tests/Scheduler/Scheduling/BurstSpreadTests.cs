using System.Text;
using Microsoft.Extensions.Time.Testing;
using PatternOne.Scheduler.Profiles;
using PatternOne.Scheduler.Scheduling;
using Xunit.Abstractions;
using static PatternOne.Tests.Scheduler.SchedulingTestData;

namespace PatternOne.Tests.Scheduler.Scheduling;

/// <summary>
/// A burst inside one scrape window: 40 picks see the same scraped metrics; only what the scheduler itself counts
/// (requests it routed) changes between them. Compares ways of using that count on upstream's default scorers (queue 2,
/// KV 2, prefix 3) — none (scraped metrics only), queue = scraped waiting + routed since the scrape (queue-scorer and
/// saturation detector), an active-request scorer (weight 2) over in-flight requests — and the shipped default, which
/// adds the prefill-load scorer to the second; and checks that the default spreads both kinds of burst. The figures
/// are written to the test output.
/// </summary>
public sealed class BurstSpreadTests(ITestOutputHelper output)
{
    private const int Burst = 40;
    private const int Replicas = 3;

    public enum Accounting
    {
        ScrapedOnly,
        QueuePlusRoutedSinceScrape,
        ActiveRequestScorer,

        /// <summary>The shipped default profile: queue + routed since the scrape, and the prefill-load scorer.</summary>
        Default,
    }

    /// <summary>Each burst is run under every way of accounting for in-flight requests.</summary>
    public static TheoryData<Accounting> EveryAccounting => new(Enum.GetValues<Accounting>());

    [Fact]
    public void DefaultProfile_CountsRequestsRoutedSinceTheScrape_InItsQueue()
    {
        var picker = SchedulerFactory.Create(BuiltInProfiles.Default, new SchedulerEnvironment { TimeProvider = new FakeTimeProvider(Now), Random = new Random(1) });
        EndpointSnapshot[] endpoints = [Endpoint("a:1") with { RoutedSinceScrape = 1 }, Endpoint("b:1")];

        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal("b:1", picker.Pick(new SchedulingRequest { Prompt = $"p{i}" }, endpoints).Primary.Address));
    }

    [Theory]
    [MemberData(nameof(EveryAccounting))]
    public void DistinctPrompts(Accounting accounting)
    {
        var spread = Run(accounting, seed => Enumerable.Range(0, Burst).Select(i => Text(seed * 1000 + i, 7_600)).ToArray());

        if (accounting != Accounting.ScrapedOnly)
        {
            // Every pick sees who got the previous ones: the burst splits 14/13/13 whatever the tie-breaks.
            Assert.All(spread, counts => Assert.True(counts.Max() - counts.Min() <= 1, string.Join('/', counts)));
        }
        else
        {
            Assert.All(spread, counts => Assert.Equal(Burst, counts.Sum()));
        }
    }

    [Theory]
    [MemberData(nameof(EveryAccounting))]
    public void SharedSystemPrompt(Accounting accounting)
    {
        var spread = Run(accounting, seed =>
        {
            var system = Text(seed, 6_000);
            return Enumerable.Range(0, Burst).Select(i => system + Text(seed * 1000 + i, 1_600)).ToArray();
        });

        if (accounting is Accounting.QueuePlusRoutedSinceScrape or Accounting.Default)
        {
            // Prefix affinity holds the first requests on one endpoint until its estimated queue passes the saturation
            // filter's threshold (5); then the burst spills over, and every endpoint ends up with a share.
            Assert.All(spread, counts => Assert.True(counts.Min() >= 6, string.Join('/', counts)));
        }
        else
        {
            // Neither scraped metrics nor an in-flight scorer at weight 2 outweighs a 79% prefix match (3 × 0.79):
            // the whole burst lands on one endpoint.
            Assert.All(spread, counts => Assert.Equal(Burst, counts.Max()));
        }
    }

    /// <summary>Ten bursts (seeds); returns the per-endpoint counts of each and writes them to the output.</summary>
    private List<int[]> Run(Accounting accounting, Func<int, string[]> prompts)
    {
        var results = new List<int[]>();
        for (var seed = 1; seed <= 10; seed++)
        {
            var time = new FakeTimeProvider(Now);
            var yaml = accounting == Accounting.Default ? BuiltInProfiles.GetYaml(BuiltInProfiles.Default) : UpstreamDefaultScorers();
            if (accounting == Accounting.ActiveRequestScorer)
            {
                yaml = yaml.Replace("- type: queue-scorer\n", "- type: queue-scorer\n- type: active-request-scorer\n", StringComparison.Ordinal)
                    .Replace("  - {pluginRef: queue-scorer, weight: 2}\n", "  - {pluginRef: queue-scorer, weight: 2}\n  - {pluginRef: active-request-scorer, weight: 2}\n", StringComparison.Ordinal);
            }

            var picker = SchedulerFactory.FromYaml(yaml, new SchedulerEnvironment { TimeProvider = time, Random = new Random(seed) });
            var counts = new int[Replicas];
            foreach (var prompt in prompts(seed))
            {
                var snapshots = Enumerable.Range(0, Replicas).Select(i => Endpoint(
                    $"10.0.0.{i + 1}:8000",
                    kv: 0.05,
                    inFlight: accounting == Accounting.ActiveRequestScorer ? counts[i] : 0) with
                {
                    RoutedSinceScrape = accounting is Accounting.QueuePlusRoutedSinceScrape or Accounting.Default ? counts[i] : 0,
                }).ToArray();
                var result = picker.Pick(new SchedulingRequest { Model = "m", Prompt = prompt }, snapshots);
                counts[Array.FindIndex(snapshots, s => s.Address == result.Primary.Address)]++;
            }

            results.Add(counts);
        }

        output.WriteLine($"{accounting}: {string.Join("  ", results.Select(c => string.Join('/', c)))}; mean busiest {results.Average(c => c.Max()):0.0} of {Burst}");
        return results;
    }

    /// <summary>The default profile without the prefill-load scorer: upstream's default scorers and weights.</summary>
    private static string UpstreamDefaultScorers()
    {
        var lines = BuiltInProfiles.GetYaml(BuiltInProfiles.Default).Split('\n').ToList();
        var at = lines.FindIndex(l => l == "- type: prefill-load-scorer");
        lines.RemoveRange(at, 2);
        lines.RemoveAll(l => l.Contains("pluginRef: prefill-load-scorer", StringComparison.Ordinal));
        return string.Join('\n', lines);
    }

    private static string Text(int seed, int characters)
    {
        var random = new Random(seed);
        var text = new StringBuilder($"Document {seed}. ");
        while (text.Length < characters)
        {
            text.Append((char)('a' + random.Next(26)));
            if (random.Next(6) == 0)
            {
                text.Append(' ');
            }
        }

        return text.ToString();
    }
}
