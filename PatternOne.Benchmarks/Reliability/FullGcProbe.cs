using System.Diagnostics.Tracing;
using PatternOne.Benchmarks.Hosting;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace PatternOne.Benchmarks.Reliability;

/// <summary>
/// A process's memory right after a full blocking collection: RSS (MiB, from /proc, read once the collection has ended)
/// and the GC heap's size after it (MiB: every generation, the large- and pinned-object heaps, as the runtime's
/// GCHeapStats event reports it). Garbage is gone at that point, so two readings compare what the process really holds.
/// </summary>
public sealed record AfterFullGc(double AtS, int Pid, double RssMb, double HeapMb, long GcNumber);

/// <summary>
/// Induces a full blocking collection in another .NET process through the runtime's diagnostics port, as
/// <c>dotnet-gcdump</c> does: enabling the runtime provider's GCHeapCollect keyword in an EventPipe session makes the
/// runtime collect at once, and the same session's GC events say when that collection ended and how big the heap was
/// after it. Nothing in the product serves this: the port is the runtime's own (on by default; a pod can turn it off
/// with DOTNET_EnableDiagnostics=0).
/// </summary>
public static class FullGcProbe
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const double MiB = 1024 * 1024;

    /// <summary>Collects <paramref name="pid"/>'s heap fully and reads its memory after; throws <see cref="TimeoutException"/> if no full blocking collection ends within <paramref name="timeout"/>.</summary>
    public static async Task<AfterFullGc> CollectAsync(int pid, double atS, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = new DiagnosticsClient(pid);
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
        using var session = await client.StartEventPipeSessionAsync(
            [new EventPipeProvider(RuntimeProvider, EventLevel.Informational, keywords)], requestRundown: false, circularBufferMB: 16, cancellationToken);
        using var source = new EventPipeEventSource(session.EventStream);
        var ended = new TaskCompletionSource<(long Number, double HeapMb)>(TaskCreationOptions.RunContinuationsAsynchronously);

        // The events of one collection arrive in order on the processing thread: its start, its heap statistics, its end
        // (the statistics may also follow the end). A background gen-2 collection does not count: it sweeps concurrently.
        long? full = null;
        double? heapAfter = null;
        var fullEnded = false;
        source.Clr.GCStart += e =>
        {
            if (full is null && e.Depth == 2 && e.Type == GCType.NonConcurrentGC)
            {
                full = e.Count;
            }
        };
        source.Clr.GCHeapStats += e =>
        {
            if (full is not null)
            {
                heapAfter ??= e.TotalHeapSize / MiB;
                TryEnd();
            }
        };
        source.Clr.GCStop += e =>
        {
            if (e.Count == full)
            {
                fullEnded = true;
                TryEnd();
            }
        };
        var processing = Task.Run(source.Process, CancellationToken.None);
        try
        {
            var (number, heapMb) = await ended.Task.WaitAsync(timeout, cancellationToken);
            var memory = ProcessMemory.Read(pid) ?? throw new InvalidOperationException($"process {pid} ended during its collection");
            return new AfterFullGc(atS, pid, memory.RssMb, heapMb, number);
        }
        finally
        {
            await session.StopAsync(CancellationToken.None);
            await processing.WaitAsync(timeout, CancellationToken.None);
        }

        void TryEnd()
        {
            if (fullEnded && heapAfter is { } heap)
            {
                ended.TrySetResult((full!.Value, heap));
            }
        }
    }
}
