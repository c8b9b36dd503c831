using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PatternOne.Benchmarks.DataPath;
using PatternOne.Benchmarks.Hosting;

namespace PatternOne.Benchmarks.Reliability;

/// <summary>How one request ended, as its client saw it.</summary>
public enum Outcome
{
    /// <summary>200 with a complete body (non-streaming) or a stream ended by <c>[DONE]</c>.</summary>
    Ok,

    /// <summary>A stream that stopped with the gateway's OpenAI-style error event (then the aborted response).</summary>
    ErrorEvent,

    Http503,
    Http400,
    Http429,
    HttpOther,

    /// <summary>The connection or stream broke with no error event: what a client cannot tell from a network fault.</summary>
    Reset,

    /// <summary>200, then a body that ended cleanly but without a result or <c>[DONE]</c>.</summary>
    Truncated,

    /// <summary>No end within the client's timeout.</summary>
    Timeout,
}

/// <summary>One request of the steady load: when it was due, when it ended (seconds on the load's clock), and how.</summary>
public sealed record RequestOutcome(bool Streaming, double StartS, double EndS, Outcome Kind, int Status, bool OpenAiErrorBody)
{
    /// <summary>For a failure: what the client got (exception or body start), and how many SSE events came before it.</summary>
    public string? Detail { get; init; }

    /// <summary>
    /// When the gateway sent the request to the replica that answered it: the response headers' arrival minus the
    /// gateway's <c>x-envoy-upstream-service-time</c> (that attempt's time to headers). Null when no replica answered.
    /// </summary>
    public double? AnsweringAttemptS { get; init; }

    /// <summary>When a stream's error event arrived (the abort that ends the response follows it).</summary>
    public double? ErrorEventS { get; init; }

    public double WaitS => EndS - StartS;

    /// <summary>
    /// Until when the request waited for a replica that answers it, or for the gateway to give up on one: a success's
    /// answering attempt, a cut stream's error event, otherwise the end of whatever the client got.
    /// </summary>
    public double HeldUntilS => Kind switch
    {
        Outcome.Ok => AnsweringAttemptS ?? EndS,
        Outcome.ErrorEvent => ErrorEventS ?? EndS,
        _ => EndS,
    };

    public bool Failed => Kind != Outcome.Ok;
}

/// <summary>
/// Open-loop load through the gateway at a fixed rate, mixed streaming and non-streaming chat completions, retries off
/// (one HTTP request per arrival, whatever it gets). Each request's time is counted from its scheduled start, so a
/// stalled stack is charged for every request it delayed (as <see cref="LoadDriver"/>'s fixed-rate runs).
/// </summary>
public sealed class SteadyLoad : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _url;
    private readonly double _rate;
    private readonly double _streamingShare;
    private readonly Random _random;
    private readonly ConcurrentQueue<RequestOutcome> _outcomes = new();
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly long _t0 = Stopwatch.GetTimestamp();
    private Task _pacer = Task.CompletedTask;

    private SteadyLoad(Uri url, double rate, double streamingShare, Random random, TimeSpan requestTimeout)
    {
        _url = url;
        _rate = rate;
        _streamingShare = streamingShare;
        _random = random;
        _client = LoadDriver.CreateClient(1024);
        _client.Timeout = requestTimeout;
    }

    /// <summary>Output tokens per request: short enough for a steady rate, long enough that a fault lands mid-stream.</summary>
    public const int MaxTokens = 48;

    /// <summary>Envoy's response header, which the gateway sets too: the answering attempt's milliseconds to response headers.</summary>
    private const string UpstreamServiceTimeHeader = "x-envoy-upstream-service-time";

    /// <summary>
    /// A few applications' system prompts, long enough to fill prefix-cache blocks: requests share prefixes as real
    /// traffic does, and the scheduler's prefix affinity spreads them over the replicas rather than onto one.
    /// </summary>
    private static readonly string[] SystemPrompts = Enumerable.Range(0, 8)
        .Select(i => string.Concat(Enumerable.Repeat($"You are assistant {i} of the steady load; answer briefly and politely. ", 6)))
        .ToArray();

    /// <summary>The load's pooled client (retries off, the request timeout); the faults' own requests use it too.</summary>
    public HttpClient Client => _client;

    /// <summary>Seconds since the load started: the clock of every outcome and of the scenario's phases.</summary>
    public double Now => Stopwatch.GetElapsedTime(_t0).TotalSeconds;

    public IReadOnlyList<RequestOutcome> Outcomes => _outcomes.ToArray();

    public static SteadyLoad Start(Uri chatCompletions, double rate, double streamingShare, Random random, TimeSpan requestTimeout)
    {
        var load = new SteadyLoad(chatCompletions, rate, streamingShare, random, requestTimeout);
        load._pacer = Task.Run(load.PaceAsync);
        return load;
    }

    private async Task PaceAsync()
    {
        var ticksPerRequest = Stopwatch.Frequency / _rate;
        for (long i = 0; !_stop.IsCancellationRequested; i++)
        {
            var intended = _t0 + (long)(i * ticksPerRequest);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), intended);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                try
                {
                    // The open-loop schedule's clock, not a wait for state.
                    await Task.Delay(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            var streaming = _random.NextDouble() < _streamingShare;
            var startS = Stopwatch.GetElapsedTime(_t0, intended).TotalSeconds;
            var index = i;
            var task = Task.Run(() => SendAsync(index, streaming, startS));
            _inFlight.TryAdd(task, 0);
            _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task SendAsync(long index, bool streaming, double startS)
    {
        var body = new JsonObject
        {
            ["model"] = LocalCluster.Model,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = SystemPrompts[index % SystemPrompts.Length] },
                new JsonObject { ["role"] = "user", ["content"] = $"Steady load request {index}: say something." }),
            ["max_tokens"] = MaxTokens,
            ["ignore_eos"] = true,
            ["stream"] = streaming,
        };
        var status = 0;
        var sawErrorEvent = false;
        Outcome kind;
        var openAiError = false;
        var events = 0;
        string? detail = null;
        double? answeringAttempt = null;
        double? errorEventAt = null;
        try
        {
            // Headers first, body read as it comes: a buffered read would drop the events received before a cut.
            using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = JsonContent.Create(body) };
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            status = (int)response.StatusCode;
            if (response.Headers.TryGetValues(UpstreamServiceTimeHeader, out var values)
                && double.TryParse(values.FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var upstreamMs))
            {
                answeringAttempt = Now - upstreamMs / 1000;
            }

            if (!response.IsSuccessStatusCode)
            {
                detail = await response.Content.ReadAsStringAsync();
                openAiError = IsOpenAiError(detail);
                kind = status switch { 503 => Outcome.Http503, 400 => Outcome.Http400, 429 => Outcome.Http429, _ => Outcome.HttpOther };
            }
            else if (!streaming)
            {
                var text = await response.Content.ReadAsStringAsync();
                kind = JsonNode.Parse(text)?["choices"] is JsonArray { Count: > 0 } ? Outcome.Ok : Outcome.Truncated;
            }
            else
            {
                await using var stream = await response.Content.ReadAsStreamAsync();
                using var reader = new StreamReader(stream);
                var done = false;
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (!line.StartsWith("data:", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var data = line[5..].Trim();
                    events++;
                    done |= data == "[DONE]";
                    if (!sawErrorEvent && data.StartsWith('{') && IsOpenAiError(data))
                    {
                        sawErrorEvent = true;
                        errorEventAt = Now;
                    }
                }

                kind = done ? Outcome.Ok : sawErrorEvent ? Outcome.ErrorEvent : Outcome.Truncated;
            }
        }
        catch (TaskCanceledException ex) when (ex.InnerException is TimeoutException)
        {
            kind = Outcome.Timeout;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or System.Text.Json.JsonException)
        {
            // A stream the gateway ended with an error event is then aborted: the read fails after the event.
            kind = sawErrorEvent ? Outcome.ErrorEvent : Outcome.Reset;
            detail = $"{ex.GetType().Name}: {ex.Message}{(ex.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : "")}";
        }

        _outcomes.Enqueue(new RequestOutcome(streaming, startS, Now, kind, status, openAiError || sawErrorEvent)
        {
            AnsweringAttemptS = answeringAttempt,
            ErrorEventS = errorEventAt,
            Detail = kind == Outcome.Ok ? null : $"{(streaming ? "stream" : "non-streaming")}, HTTP {status}, {events} events: {detail?[..Math.Min(detail.Length, 240)]}",
        });
    }

    /// <summary>An OpenAI-style error object: <c>{"error": {"message": …}}</c>.</summary>
    private static bool IsOpenAiError(string text)
    {
        try
        {
            return JsonNode.Parse(text)?["error"]?["message"] is JsonValue;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>Stops sending and waits for every request in flight to end (each is bounded by the client's timeout).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _pacer;
        await Task.WhenAll(_inFlight.Keys.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client.Dispose();
        _stop.Dispose();
    }
}
