using k8s;

namespace PatternOne.Tests.Infrastructure;

/// <summary>
/// A test class that talks to a Kubernetes API: each test gets a fresh <see cref="FakeKubernetesApi"/> and a client for
/// it, started before and disposed after the test.
/// </summary>
public abstract class FakeKubernetesApiTest(TimeSpan timeout) : IAsyncLifetime
{
    /// <summary>The API's own waits bounded by <see cref="TestTimeouts.Request"/>.</summary>
    protected FakeKubernetesApiTest()
        : this(TestTimeouts.Request)
    {
    }

    /// <summary>The API the test serves; set its objects before starting the code under test.</summary>
    protected FakeKubernetesApi Api { get; private set; } = null!;

    /// <summary>A client of <see cref="Api"/>, as the scheduler's own would be.</summary>
    protected Kubernetes Client { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Api = await FakeKubernetesApi.StartAsync(timeout);
        Client = new Kubernetes(new KubernetesClientConfiguration { Host = Api.BaseAddress.ToString() });
    }

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
    }
}
