using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using PatternOne.Tests.Scheduler;
using PatternOne.VllmSimulator;
using PatternOne.VllmSimulator.Api;

namespace PatternOne.Tests.Simulator.Api;

/// <summary>The simulator as a process, stopped as Kubernetes and DCP stop it: SIGTERM.</summary>
public class ShutdownTests
{
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sigterm_WhenIdle_ExitsWithCodeZero()
    {
        await using var simulator = await SimulatorProcess.StartAsync("--shutdown-timeout", "30");

        simulator.Terminate();

        Assert.Equal(0, await simulator.ExitCodeAsync());
    }

    [Fact]
    public async Task Sigterm_WithAStreamInFlight_EndsItAtTheShutdownTimeout_WithAnErrorEventAndDone_AndExitsWithCodeZero()
    {
        await using var simulator = await SimulatorProcess.StartAsync("--shutdown-timeout", "1");
        // 3,000 tokens take ~30 s of simulated decode: far longer than the 1 s drain.
        const int MaxTokens = 3000;
        using var request = new HttpRequestMessage(HttpMethod.Post, VllmApi.CompletionsPath)
        {
            Content = new StringContent(
                $$"""{"model":"Qwen/Qwen2.5-3B-Instruct","prompt":"hello","max_tokens":{{MaxTokens}},"ignore_eos":true,"stream":true}""",
                Encoding.UTF8, "application/json"),
        };
        using var response = await simulator.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestTimeouts.Request);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string> { (await reader.ReadLineAsync().WaitAsync(TestTimeouts.Request))! };

        simulator.Terminate();
        while (await reader.ReadLineAsync().WaitAsync(Exit) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(line);
            }
        }

        Assert.Equal(0, await simulator.ExitCodeAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("data: [DONE]", events[^1]);
        var error = JsonDocument.Parse(events[^2]["data: ".Length..]).RootElement.GetProperty("error");
        Assert.Equal(503, error.GetProperty("code").GetInt32());
        Assert.Contains("shutting down", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        // Ended before its natural end: fewer token chunks than asked for, none with a finish reason.
        var tokens = events.Count(e => e.Contains("\"finish_reason\":null", StringComparison.Ordinal));
        Assert.InRange(tokens, 1, MaxTokens - 1);
        Assert.DoesNotContain(events, e => e.Contains("\"finish_reason\":\"length\"", StringComparison.Ordinal));
    }

    /// <summary>The built simulator, run as <c>dotnet PatternOne.VllmSimulator.dll</c> on a free loopback port.</summary>
    private sealed class SimulatorProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private SimulatorProcess(Process process, int port)
        {
            _process = process;
            Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Timeout.InfiniteTimeSpan };
        }

        public HttpClient Client { get; }

        public static async Task<SimulatorProcess> StartAsync(params string[] args)
        {
            var port = SchedulerTestHost.FreePorts(1)[0];
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(typeof(SimulatorHost).Assembly.Location);
            foreach (var arg in (string[])["--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), .. args])
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var simulator = new SimulatorProcess(process, port);
            await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    using var health = await simulator.Client.GetAsync(VllmApi.HealthPath).WaitAsync(TestTimeouts.Request);
                    return health.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TestTimeouts.Start, "the simulator answers /health");
            return simulator;
        }

        /// <summary>SIGTERM, as the kubelet and DCP send it.</summary>
        public void Terminate()
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        public async Task<int> ExitCodeAsync()
        {
            await _process.WaitForExitAsync().WaitAsync(Exit);
            return _process.ExitCode;
        }

        public ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
