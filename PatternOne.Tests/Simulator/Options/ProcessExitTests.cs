using System.Diagnostics;
using PatternOne.VllmSimulator;

namespace PatternOne.Tests.Simulator.Options;

public class ProcessExitTests
{
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(SimulatorHost).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task BadFlagValue_ExitsNonZeroWithClearError()
    {
        var (exitCode, _, error) = await RunAsync("--port", "abc", "--max-num-seqs", "0");

        Assert.Equal(2, exitCode);
        Assert.Contains("--port must be an integer between 1 and 65535, got 'abc'.", error, StringComparison.Ordinal);
        Assert.Contains("--max-num-seqs", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ListsFlagsAndExitsZero()
    {
        var (exitCode, output, _) = await RunAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("--max-num-batched-tokens", output, StringComparison.Ordinal);
        Assert.Contains("--time-scale", output, StringComparison.Ordinal);
    }
}
