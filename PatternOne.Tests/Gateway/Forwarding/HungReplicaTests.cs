using System.Net;
using System.Text;
using PatternOne.Gateway;
using PatternOne.Tests.Gateway.Support;

namespace PatternOne.Tests.Gateway.Forwarding;

/// <summary>
/// A replica that is alive but slow is never taken for a hung one: its request is not moved and its stream is not cut,
/// however long it takes. (A frozen one: <see cref="ForwardingTests"/>' RequestOnAReplicaFoundHung… and
/// Sse_ReplicaFoundHungMidStream….)
/// </summary>
public class HungReplicaTests(PoolFixture pool) : IClassFixture<PoolFixture>
{
    private const string Chat = GatewayHost.Prefix + "/v1/chat/completions";

    /// <summary>Probes every 100 ms; no answer for 1 s (2 s for the stream test, see there) would mean hung.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(100);

    private static (string, string?)[] FastProbes(TimeSpan unresponsiveAfter) =>
    [
        (GatewaySettings.Keys.HealthCheckInterval, ProbeInterval.ToString()),
        (GatewaySettings.Keys.HealthCheckTimeout, "00:00:00.500"),
        (GatewaySettings.Keys.UnresponsiveAfter, unresponsiveAfter.ToString()),
    ];

    /// <summary>Probes that cover three times the hung limit (interval + UnresponsiveAfter) after <paramref name="from"/>.</summary>
    private static int ProbesBeyondTheHungLimit(int from, TimeSpan unresponsiveAfter) =>
        from + (int)Math.Ceiling(3 * (ProbeInterval + unresponsiveAfter) / ProbeInterval);

    private static StringContent ChatBody(bool stream) => new(
        $$"""{"model":"Qwen/Qwen2.5-3B-Instruct","messages":[{"role":"user","content":"hi"}]{{(stream ? ",\"stream\":true" : "")}}}""",
        Encoding.UTF8, "application/json");

    /// <param name="someProbesLateOthersUnanswered">
    /// False: every probe is answered in time. True: probes overlap, and an unanswered one reaches UnresponsiveAfter (1 s)
    /// while the one sent 100 ms before it was answered late (0.8 s, past the 0.5 s HealthCheckTimeout) in between; that
    /// late answer shows the process is not frozen, so the replica is out of rotation but not hung.
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LongPrefill_OnAReplicaThatAnswersItsProbes_IsNeitherMovedNorCut(bool someProbesLateOthersUnanswered)
    {
        var unresponsiveAfter = TimeSpan.FromSeconds(1);
        await using var slow = await FakeReplica.StartAsync("slow-prefill");
        slow.AnswerRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pool.Picker.Answer = _ => PickerAnswer.Route($"{slow.Authority},{pool.A.Authority}");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [slow.Authority, pool.A.Authority],
            FastProbes(unresponsiveAfter)));

        var sent = gateway.Client.PostAsync(Chat, ChatBody(stream: false));
        await Eventually.HoldsAsync(() => !slow.Requests.IsEmpty, TestTimeouts.Request, "the slow replica got the request");
        if (someProbesLateOthersUnanswered)
        {
            slow.HealthAlternatesLateAndHanging = TimeSpan.FromMilliseconds(800);
        }

        // Silent on the request for three times the hung limit, its probes answered meanwhile (or as above).
        var target = ProbesBeyondTheHungLimit(slow.HealthProbes, unresponsiveAfter);
        await Eventually.HoldsAsync(() => slow.HealthProbes >= target, TestTimeouts.Request, $"{target} probes reached the slow replica");
        Assert.False(sent.IsCompleted, "the request ended while its replica was still generating");
        slow.AnswerRelease.SetResult();
        using var response = await sent.WaitAsync(TestTimeouts.Request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(slow.Name, response.Headers.GetValues("x-replica").Single());
        Assert.Single(slow.Requests);
    }

    [Fact]
    public async Task LongStream_WhileTheReplicaIsLateToAnswerItsProbe_IsNotCut()
    {
        // The probe gets no answer at all (an event loop too busy for /health), but the stream keeps flowing: alive.
        // UnresponsiveAfter 4 s here, so that a gateway stalled for a moment on a loaded machine still reads a chunk
        // (every 50 ms) before a probe's limit runs out: at 2 s it failed on a 2-core machine at load averages above 26.
        var unresponsiveAfter = TimeSpan.FromSeconds(4);
        await using var busy = await FakeReplica.StartAsync("busy-streaming");
        busy.HealthHangs = true;
        busy.StreamChunkEvery = TimeSpan.FromMilliseconds(50);
        pool.Picker.Answer = _ => PickerAnswer.Route(busy.Authority);
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [busy.Authority], FastProbes(unresponsiveAfter)));
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat) { Content = ChatBody(stream: true) };

        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestTimeouts.Request);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body);
        var reading = ReadEventsAsync(reader);
        var target = ProbesBeyondTheHungLimit(busy.HealthProbes, unresponsiveAfter);
        // ~12 s of probes at the nominal interval; a loaded machine spaces them out, hence the longer wait.
        await Eventually.HoldsAsync(() => busy.HealthProbes >= target, 3 * TestTimeouts.Request, $"{target} unanswered probes reached the streaming replica");
        Assert.False(reading.IsCompleted, "the stream ended before the replica finished it");
        busy.StreamRelease.SetResult();
        var events = await reading.WaitAsync(TestTimeouts.Request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[DONE]", events[^1]);
        Assert.DoesNotContain(events, e => e.Contains("\"error\"", StringComparison.Ordinal));
        Assert.True(events.Count > 3, $"the stream carried its chunks ({events.Count} events)");
    }

    [Fact]
    public async Task RequestMovedOffAFrozenReplica_ReportsTheAnsweringAttemptsTimeAsEnvoyDoes()
    {
        var unresponsiveAfter = TimeSpan.FromSeconds(1);
        await using var frozen = await FakeReplica.StartAsync("frozen");
        frozen.HangBeforeAnswering = true;
        pool.Picker.Answer = _ => PickerAnswer.Route($"{frozen.Authority},{pool.A.Authority}");
        await using var gateway = await GatewayHost.StartAsync(GatewayHost.Settings(pool.Picker.Address, [frozen.Authority, pool.A.Authority],
            FastProbes(unresponsiveAfter)));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sent = gateway.Client.PostAsync(Chat, ChatBody(stream: false));
        await Eventually.HoldsAsync(() => !frozen.Requests.IsEmpty, TestTimeouts.Request, "the frozen replica got the request");
        frozen.HealthHangs = true;
        using var response = await sent.WaitAsync(TestTimeouts.Request);
        var total = clock.Elapsed;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(pool.A.Name, response.Headers.GetValues("x-replica").Single());
        // The header counts the answering attempt only: the time on the frozen replica (at least UnresponsiveAfter, the
        // probe's wait before the verdict) is before it.
        var upstream = TimeSpan.FromMilliseconds(long.Parse(response.Headers.GetValues("x-envoy-upstream-service-time").Single(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(upstream, TimeSpan.Zero, total - unresponsiveAfter);
    }

    private static async Task<List<string>> ReadEventsAsync(StreamReader reader)
    {
        var events = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(line["data: ".Length..]);
            }
        }

        return events;
    }
}
