using System.Globalization;

namespace PatternOne.Benchmarks.Reliability;

/// <summary>
/// A process for the leak check's own tests (<c>PatternOne.Benchmarks leak-check-target --hold-kib-per-s N
/// --garbage-kib-per-s M</c>): every second it keeps N KiB more for good (a leak) and allocates M KiB that live two
/// seconds and die — long enough to be promoted, as a large request body is, so they die in gen 2 and swell RSS until
/// the next full collection. It prints <c>ready</c>, then one line a second with what it holds and what it has thrown
/// away, and exits when its standard input closes.
/// </summary>
public static class LeakCheckTarget
{
    public const string Command = "leak-check-target";

    private const int Chunk = 62_000;
    private static readonly List<byte[]> Held = [];

    public static async Task<int> RunAsync(string[] args)
    {
        var holdKibPerSecond = Option(args, "--hold-kib-per-s");
        var garbageKibPerSecond = Option(args, "--garbage-kib-per-s");
        var stdinClosed = Task.Run(() => Console.In.ReadToEnd());
        var young = new Queue<(long Tick, byte[] Bytes)>();
        long heldKib = 0, garbageKib = 0;
        Console.WriteLine("ready");
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        for (long tick = 0; !stdinClosed.IsCompleted; tick++)
        {
            await timer.WaitForNextTickAsync();
            for (var kib = 0; kib < holdKibPerSecond / 10; kib += Chunk / 1024)
            {
                Held.Add(Filled(Chunk));
                heldKib += Chunk / 1024;
            }

            for (var kib = 0; kib < garbageKibPerSecond / 10; kib += Chunk / 1024)
            {
                young.Enqueue((tick, Filled(Chunk)));
                garbageKib += Chunk / 1024;
            }

            while (young.TryPeek(out var oldest) && oldest.Tick <= tick - 20)
            {
                young.Dequeue();
            }

            if (tick % 10 == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"held_kib {heldKib} garbage_kib {garbageKib}"));
            }
        }

        return 0;
    }

    // Written to, so every page is resident (RSS), as a real buffer's would be.
    private static byte[] Filled(int length)
    {
        var bytes = new byte[length];
        Array.Fill(bytes, (byte)1);
        return bytes;
    }

    private static int Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 0;
    }
}
