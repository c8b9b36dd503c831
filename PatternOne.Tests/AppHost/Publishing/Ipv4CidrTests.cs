using PatternOne.AppHost.Publishing.Manifests;

namespace PatternOne.Tests.AppHost.Publishing;

public sealed class Ipv4CidrTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.28.0.0/14", true)]
    [InlineData("172.16.0.0/12", "172.16.0.2/32", true)]
    [InlineData("172.16.0.0/12", "172.32.0.1/32", false)]
    [InlineData("0.0.0.0/0", "34.7.208.8/32", true)]
    [InlineData("10.28.0.0/14", "10.0.0.0/8", false)]
    [InlineData("192.168.1.7/24", "192.168.1.200/32", true)]
    public void Contains_FollowsPrefixArithmetic(string outer, string inner, bool expected) =>
        Assert.Equal(expected, Ipv4Cidr.Parse(outer).Contains(Ipv4Cidr.Parse(inner)));

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("10.0.0.1/33")]
    [InlineData("fd00::/8")]
    [InlineData("ten/8")]
    public void TryParse_RejectsWhatIsNotAnIpv4Cidr(string value) => Assert.False(Ipv4Cidr.TryParse(value, out _));
}
