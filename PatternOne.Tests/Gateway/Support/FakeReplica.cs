using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PatternOne.Tests.Gateway.Support;

/// <summary>A stand-in vLLM replica on loopback that records what reaches it and streams under the test's control.</summary>
internal sealed class FakeReplica : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _healthProbes;

    private FakeReplica(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public string Authority { get; private set; } = "";

    public ConcurrentQueue<ReplicaRequest> Requests { get; } = new();

    /// <summary>A streaming response sends its first chunk, then waits for this before sending the rest.</summary>
    public TaskCompletionSource StreamRelease { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when a streaming request is aborted by the caller (RequestAborted fired).</summary>
    public TaskCompletionSource StreamAborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A streaming response sends its first event and, once released, drops the connection (a crash mid-stream).</summary>
    public bool CutStreams { get; set; }

    /// <summary>Drop every inference connection after reading the request, before any response byte.</summary>
    public bool ResetConnections { get; set; }

    /// <summary>Read each non-streaming inference request, then never answer it (a hung process).</summary>
    public bool HangBeforeAnswering { get; set; }

    /// <summary><c>/health</c> never answers (a hung process, as SIGSTOP leaves it: connections accepted by the kernel).</summary>
    public bool HealthHangs { get; set; }

    /// <summary>
    /// When set, <c>/health</c> answers alternate: every even-numbered probe after this delay, every odd-numbered one not at
    /// all (an event loop so busy that some probes wait past the hung limit while others are answered late).
    /// </summary>
    public TimeSpan? HealthAlternatesLateAndHanging { get; set; }

    /// <summary>Non-streaming requests are answered only once this is set (a long prefill on a replica that is alive).</summary>
    public TaskCompletionSource? AnswerRelease { get; set; }

    /// <summary>When set, a stream keeps sending a chunk this often until <see cref="StreamRelease"/> (a long generation).</summary>
    public TimeSpan? StreamChunkEvery { get; set; }

    /// <summary><c>/health</c> requests received so far, answered or not.</summary>
    public int HealthProbes => Volatile.Read(ref _healthProbes);

    public static async Task<FakeReplica> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("PATTERNONE_TEST_GATEWAY_LOGS") == "1")
        {
            builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Debug);
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var replica = new FakeReplica(app, name);
        app.Run(replica.HandleAsync);
        await app.StartAsync().WaitAsync(TestTimeouts.Start);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        replica.Authority = new Uri(address).Authority;
        return replica;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TestTimeouts.Start);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path == "/health")
        {
            var probe = Interlocked.Increment(ref _healthProbes);
            if (HealthHangs || (HealthAlternatesLateAndHanging is not null && probe % 2 == 1))
            {
                await HangAsync(context);
            }
            else if (HealthAlternatesLateAndHanging is { } late)
            {
                await Task.Delay(late, context.RequestAborted);
            }

            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        Requests.Enqueue(new ReplicaRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body));

        if (ResetConnections)
        {
            context.Abort();
            return;
        }

        if (Encoding.UTF8.GetString(body).Contains("\"stream\":true", StringComparison.Ordinal))
        {
            await StreamAsync(context);
            return;
        }

        if (HangBeforeAnswering)
        {
            await HangAsync(context);
            return;
        }

        if (AnswerRelease is { } release)
        {
            await release.Task.WaitAsync(context.RequestAborted);
        }

        context.Response.ContentType = "application/json";
        context.Response.Headers["x-replica"] = Name;
        context.Response.Headers.Server = "uvicorn";
        await context.Response.WriteAsync($$"""{"replica":"{{Name}}","path":"{{context.Request.Path}}","bodyLength":{{body.Length}}}""");
    }

    /// <summary>Holds the request until its caller gives up.</summary>
    private static async Task HangAsync(HttpContext context)
    {
        try
        {
            await new TaskCompletionSource().Task.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The caller gave up, which is what the test waits for.
        }
    }

    private async Task StreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers["x-replica"] = Name;
        await context.Response.WriteAsync("data: {\"chunk\":1}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        try
        {
            while (StreamChunkEvery is { } every && !StreamRelease.Task.IsCompleted)
            {
                // The replica's own pace of generation, not a wait for state.
                await Task.Delay(every, context.RequestAborted);
                await context.Response.WriteAsync("data: {\"chunk\":\"more\"}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            await StreamRelease.Task.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // Here rather than in a RequestAborted callback: the wait's own callback runs first and would dispose ours.
            StreamAborted.TrySetResult();
            return;
        }

        if (CutStreams)
        {
            context.Abort();
            return;
        }

        await context.Response.WriteAsync("data: {\"chunk\":2}\n\ndata: [DONE]\n\n", context.RequestAborted);
    }
}

internal sealed record ReplicaRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body);
