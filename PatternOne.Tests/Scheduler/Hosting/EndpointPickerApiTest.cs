
namespace PatternOne.Tests.Scheduler.Hosting;

/// <summary>
/// A test that starts the scheduler as an EPP (<see cref="EndpointPickerHost"/>) against a fake Kubernetes API holding
/// the published InferencePool: the pool's name and namespace as the AppHost publishes them.
/// </summary>
public abstract class EndpointPickerApiTest() : FakeKubernetesApiTest(EndpointPickerHost.Timeout)
{
    protected const string Ns = "llm-d-inference-scheduling";
    protected const string PoolName = "qwen2-3b-pattern1-inference-pool";

    protected static TimeSpan Timeout => EndpointPickerHost.Timeout;
}
