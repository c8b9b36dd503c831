namespace PatternOne.Tests.Infrastructure;

/// <summary>Upper bounds for awaits on the network; generous, because 2 cores are shared by parallel builds.</summary>
internal static class TestTimeouts
{
    /// <summary>A host (in-process service, fake replica) starting and listening.</summary>
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(30);

    /// <summary>One request, handshake or condition on a running host.</summary>
    public static readonly TimeSpan Request = TimeSpan.FromSeconds(20);

    /// <summary>The AppHost building its model and running a publish step (manifests, Aspire manifest).</summary>
    public static readonly TimeSpan Publish = TimeSpan.FromSeconds(90);
}
