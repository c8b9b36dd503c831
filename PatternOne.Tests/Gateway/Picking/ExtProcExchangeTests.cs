using System.Runtime.CompilerServices;
using Envoy.Service.ExtProc.V3;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PatternOne.Gateway;
using PatternOne.Gateway.Endpoints;
using PatternOne.Gateway.Picking;

namespace PatternOne.Tests.Gateway.Picking;

public class ExtProcExchangeTests
{
    /// <summary>
    /// The response headers go to the picker in observability mode beside the client's body; the half-close waits for
    /// that write at most a second. A write still stuck then fails once the call is disposed: nobody awaits it any
    /// more, so unless the exchange observes it, its fault is raised as UnobservedTaskException when the task is
    /// collected (which an application escalating those would crash on).
    /// </summary>
    [Fact]
    public async Task ObservedWriteStillPendingWhenTheCloseTimesOut_ItsLaterFaultIsObserved()
    {
        var fault = new RpcException(new Status(StatusCode.Cancelled, "write ended by the call's disposal " + Guid.NewGuid()));
        var unobserved = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> collect = (_, e) =>
        {
            if (e.Exception.Flatten().InnerExceptions.Any(x => ReferenceEquals(x, fault)))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        };
        TaskScheduler.UnobservedTaskException += collect;
        try
        {
            var writeFailed = await CloseTimesOutOnAStuckWriteAsync(fault);
            Assert.True(writeFailed, "the write was not still pending after the close");

            // The write's task is unreachable now: collecting it runs the finalizer that reports an unobserved fault.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= collect;
        }

        Assert.Empty(unobserved);
    }

    /// <summary>Runs the exchange to its end and lets go of everything, so only the exchange could still observe the write.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<bool> CloseTimesOutOnAStuckWriteAsync(RpcException fault)
    {
        var time = new FakeTimeProvider();
        var writer = new StuckWriter();
        var call = new AsyncDuplexStreamingCall<ProcessingRequest, ProcessingResponse>(writer, new SilentReader(),
            Task.FromResult(new Metadata()), () => Status.DefaultCancelled, () => [], () => writer.CallDisposed = true);
        var pickerCall = PickerCall.Start(new ExternalProcessor.ExternalProcessorClient(new OneCallInvoker(call)), time, CancellationToken.None);
        var exchange = new ExtProcExchange(pickerCall, new GatewayPoolOptions { Name = "pool" }, time, NullLogger.Instance);

        await exchange.ResponseHeadersAsync(200, [], new EndpointAddress("10.0.0.1", 8000), endOfStream: false, CancellationToken.None);
        var closing = exchange.DisposeAsync().AsTask();
        Assert.False(closing.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await closing.WaitAsync(TestTimeouts.Request);

        // The transport fails the write a moment after the call is torn down (the HTTP/2 stream's reset), by which time
        // the close has stopped waiting for it.
        Assert.True(writer.CallDisposed);
        return writer.Fail(fault);
    }

    /// <summary>A request stream whose write never completes until the call is disposed, as with a picker that stopped reading.</summary>
    private sealed class StuckWriter : IClientStreamWriter<ProcessingRequest>
    {
        private TaskCompletionSource? _pending;

        public WriteOptions? WriteOptions { get; set; }

        public bool CallDisposed { get; set; }

        public Task WriteAsync(ProcessingRequest message)
        {
            _pending = new TaskCompletionSource();
            return _pending.Task;
        }

        public Task CompleteAsync() => new TaskCompletionSource().Task;

        public bool Fail(Exception fault)
        {
            var failed = _pending?.TrySetException(fault) == true;
            _pending = null;
            return failed;
        }
    }

    /// <summary>Hands out the one call the test made, as the picker's channel would open one.</summary>
    private sealed class OneCallInvoker(AsyncDuplexStreamingCall<ProcessingRequest, ProcessingResponse> call) : CallInvoker
    {
        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
            string? host, CallOptions options) =>
            (AsyncDuplexStreamingCall<TRequest, TResponse>)(object)call;

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options,
            TRequest request) => throw new NotSupportedException();

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host,
            CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
            string? host, CallOptions options) => throw new NotSupportedException();
    }

    private sealed class SilentReader : IAsyncStreamReader<ProcessingResponse>
    {
        public ProcessingResponse Current => throw new InvalidOperationException("nothing was read");

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => false, TaskScheduler.Default);
    }
}
