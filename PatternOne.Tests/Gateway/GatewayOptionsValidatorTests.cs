using PatternOne.Gateway;

namespace PatternOne.Tests.Gateway;

public class GatewayOptionsValidatorTests
{
    private static GatewayOptions Valid() => new()
    {
        Routes = [new GatewayRouteOptions { PathPrefix = "/llm-d-inference-scheduling/qwen2-3b-pattern1/", Pool = "qwen2-3b-pattern1" }],
        Pools =
        [
            new GatewayPoolOptions
            {
                Name = "qwen2-3b-pattern1",
                EndpointPicker = "http://127.0.0.1:9002",
                Endpoints = ["127.0.0.1:8000", "127.0.0.1:8001"],
            },
        ],
    };

    [Fact]
    public void Validate_AcceptsTheSeedsConfiguration()
    {
        var result = new GatewayOptionsValidator().Validate(null, Valid());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    public static TheoryData<string, Action<GatewayOptions>> Broken => new()
    {
        { "must differ", o => o.StatusPort = o.HttpPort },
        { "between 0 and 65535", o => o.MetricsPort = 70000 },
        { "is not one of Gateway:Pools", o => o.Routes[0].Pool = "missing" },
        { "must start with '/'", o => o.Routes[0].PathPrefix = "llm" },
        { "must be an http:// or https:// address", o => o.Pools[0].EndpointPicker = "127.0.0.1:9002" },
        { "is not host:port", o => o.Pools[0].Endpoints.Add("http://127.0.0.1:8000") },
        { "needs an EndpointPicker or at least one of Endpoints", o => { o.Pools[0].EndpointPicker = null; o.Pools[0].Endpoints.Clear(); } },
        { "PickerTimeout must be positive", o => o.Pools[0].PickerTimeout = TimeSpan.Zero },
        { "MaxRequestBodySize must be positive", o => o.Limits.MaxRequestBodySize = 0 },
        { "MaxAttempts must be at least 1", o => o.Forwarding.MaxAttempts = 0 },
        { "does not exist", o => { o.Tls.CertificatePath = "/nonexistent/tls.crt"; o.Tls.KeyPath = "/nonexistent/tls.key"; } },
        { "is required when the other TLS file is set", o => o.Tls.CertificatePath = "/nonexistent/tls.crt" },
        { "is not an IP address", o => o.BindAddress = "localhost" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Validate_NamesWhatIsWrong(string expected, Action<GatewayOptions> breakIt)
    {
        var options = Valid();
        breakIt(options);

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }
}
