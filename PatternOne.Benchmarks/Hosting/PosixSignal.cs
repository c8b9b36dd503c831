using System.ComponentModel;
using System.Runtime.InteropServices;

namespace PatternOne.Benchmarks.Hosting;

/// <summary>
/// Sends a POSIX signal with kill(2) itself. .NET sends only SIGKILL (<c>Process.Kill</c>), and starting kill(1) for it
/// took up to a second on a loaded machine, which blurred the moment a fault hit: the reliability scenario measures
/// from that moment.
/// </summary>
internal static class PosixSignal
{
    // Linux's numbers (the same on x86-64 and arm64); the reliability scenario runs on Linux only.
    public const int Kill = 9;
    public const int Cont = 18;
    public const int Stop = 19;

    public static void Send(int pid, int signal)
    {
        if (SysKill(pid, signal) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"kill({pid}, {signal}) failed");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
