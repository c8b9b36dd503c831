using PatternOne.Gateway.Endpoints;

namespace PatternOne.Tests.Gateway.Forwarding;

public class EndpointAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:8000", "127.0.0.1:8000")]
    [InlineData(" 10.28.0.7:8000 ", "10.28.0.7:8000")]
    [InlineData("[::1]:8000", "[::1]:8000")]
    [InlineData("qwen2-3b-pattern1-kserve-workload-svc:8000", "qwen2-3b-pattern1-kserve-workload-svc:8000")]
    public void TryParse_AcceptsHostAndPort(string value, string authority)
    {
        Assert.True(EndpointAddress.TryParse(value, out var address));
        Assert.Equal(authority, address.Authority);
        Assert.Equal("http://" + authority + "/", address.DestinationPrefix);
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("http://127.0.0.1:8000")]
    [InlineData("evil.example/x:80")]
    [InlineData("user@host:80")]
    [InlineData("::1")]
    public void TryParse_RefusesAnythingButHostAndPort(string value)
    {
        Assert.False(EndpointAddress.TryParse(value, out _));
    }
}
