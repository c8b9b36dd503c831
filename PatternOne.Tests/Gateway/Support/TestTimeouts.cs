namespace PatternOne.Tests.Gateway.Support;

/// <summary>Upper bounds for awaits on the network; generous, because 2 cores are shared by parallel builds.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Request = TimeSpan.FromSeconds(20);
}
