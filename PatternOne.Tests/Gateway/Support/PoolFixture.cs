namespace PatternOne.Tests.Gateway.Support;

/// <summary>Two fake replicas and a fake picker, shared by the tests of one class (they run one at a time).</summary>
public sealed class PoolFixture : IAsyncLifetime
{
    internal FakeReplica A { get; private set; } = null!;
    internal FakeReplica B { get; private set; } = null!;
    internal FakeEndpointPicker Picker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        A = await FakeReplica.StartAsync("a");
        B = await FakeReplica.StartAsync("b");
        Picker = await FakeEndpointPicker.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Picker.DisposeAsync();
    }

    /// <summary>A loopback port nobody listens on: connections to it are refused at once.</summary>
    internal static string ClosedEndpoint()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port}";
    }
}
