using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PatternOne.VllmSimulator.Engine;
using PatternOne.VllmSimulator.Options;
using static PatternOne.Tests.Simulator.Engine.EngineTestKit;

namespace PatternOne.Tests.Simulator.Engine;

public class EngineDriverTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(10.0)]
    public async Task Tokens_LeaveAtTheirStepEndDividedByTimeScale(double timeScale)
    {
        var time = new FakeTimeProvider();
        var options = Microsoft.Extensions.Options.Options.Create(new SimulatorOptions { TimeScale = timeScale, Engine = new EngineOptions { MaxModelLen = 1024 } });
        using var driver = new EngineDriver(options, time, NullLogger<EngineDriver>.Instance);
        using var stop = new CancellationTokenSource();
        await driver.StartAsync(stop.Token);
        var channel = Channel.CreateUnbounded<TokenEvent>();

        var start = time.GetUtcNow();
        driver.Submit(Request("a", Prompt(100), 5), channel.Writer);
        var received = new List<(TokenEvent Token, TimeSpan RealElapsed)>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var sinceProgress = Stopwatch.StartNew();
        var lastEngineNow = TimeSpan.Zero;
        while (received.Count < 5 && DateTime.UtcNow < deadline)
        {
            while (channel.Reader.TryRead(out var token))
            {
                received.Add((token, time.GetUtcNow() - start));
                sinceProgress.Restart();
            }

            var engineNow = driver.Snapshot().Now;
            if (engineNow != lastEngineNow)
            {
                lastEngineNow = engineNow;
                sinceProgress.Restart();
            }

            // Keep the fake clock within a few ms of the engine's (scaled) clock: the driver sleeps until a step's end,
            // and a clock racing far ahead would make it book idle time. The slack covers a timer armed a little late;
            // a driver thread descheduled between computing its wait and arming the timer (a loaded machine) arms it
            // past the slack, so when nothing has moved for a while the clock moves on anyway rather than stall.
            var withinSlack = (engineNow / timeScale) + TimeSpan.FromMilliseconds(5) > time.GetUtcNow() - start;
            if (withinSlack || sinceProgress.Elapsed > TimeSpan.FromMilliseconds(200))
            {
                time.Advance(TimeSpan.FromMilliseconds(0.25));
            }

            await Task.Yield();
        }

        Assert.Equal(5, received.Count);
        Assert.Equal([0, 1, 2, 3, 4], received.Select(r => r.Token.Index));
        Assert.True(received[^1].Token.IsFinal);
        // The driver skips waits under one timer tick (1 ms), so a token may leave up to that much before its step's end.
        Assert.All(received, r => Assert.True(r.RealElapsed >= (r.Token.Time / timeScale) - TimeSpan.FromMilliseconds(1), $"token {r.Token.Index} at {r.RealElapsed}, step end {r.Token.Time}"));
        // Five steps of ≈9 ms of model time each: the last token's virtual time says so whatever the scale.
        Assert.InRange(received[^1].Token.Time.TotalMilliseconds, 5 * 9.0, 5 * 9.0 + 5);
        await driver.StopAsync(CancellationToken.None);
    }
}
