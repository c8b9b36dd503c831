using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;

namespace PatternOne.Tests.Gateway;

/// <summary>The gateway as users meet it: the real AppHost, HTTPS against the local CA, the simulator behind it.</summary>
[Collection(DefaultStackCollection.Name)]
public sealed class GatewayStackTests(StackFixture stack)
{
    [Fact]
    public async Task Https_ValidatesAgainstTheLocalCa_AndServesHttp2_WithThePrefixRewritten()
    {
        var client = stack.CreateGatewayClient(https: true, httpVersion: HttpVersion.Version20);

        using var response = await client.GetAsync("v1/models").WaitAsync(StackFixture.RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        var models = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(StackFixture.Model, models.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.True(response.Headers.Contains("x-request-id"));
        Assert.False(response.Headers.Contains("Server"));
    }

[Theory]
    [InlineData(TlsClientHello.Tls10)]
    [InlineData(TlsClientHello.Tls11)]
    public async Task Handshake_RefusesTls10And11(ushort version)
    {
        // Hand-built hellos: the client's OpenSSL cannot be what refuses. The same hello offering 1.2 is accepted.
        var refused = await TlsClientHello.SendAsync(stack.GatewayHttpsUri.Host, stack.GatewayHttpsUri.Port, version, StackFixture.RequestTimeout);
        var accepted = await TlsClientHello.SendAsync(stack.GatewayHttpsUri.Host, stack.GatewayHttpsUri.Port, TlsClientHello.Tls12, StackFixture.RequestTimeout);

        Assert.False(refused.IsServerHello, $"the gateway answered a TLS {version:x4} hello with a ServerHello for {refused.ServerVersion:x4}");
        Assert.Equal((true, TlsClientHello.Tls12), (accepted.IsServerHello, accepted.ServerVersion));
    }

    [Fact]
    public async Task Handshake_NegotiatesTls12WithTheLocalCasCertificate()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(stack.GatewayHttpsUri.Host, stack.GatewayHttpsUri.Port).WaitAsync(StackFixture.RequestTimeout);
        await using var ssl = new SslStream(tcp.GetStream());

        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls12,
            RemoteCertificateValidationCallback = stack.ValidateAgainstLocalCa,
        }).WaitAsync(StackFixture.RequestTimeout);

        Assert.Equal(SslProtocols.Tls12, ssl.SslProtocol);
    }

    [Fact]
    public async Task PathOutsideThePrefix_Gets404WithAnOpenAiError()
    {
        using var client = new HttpClient { BaseAddress = stack.GatewayHttpUri, Timeout = StackFixture.RequestTimeout };

        using var response = await client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("invalid_request_error", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task MalformedJson_Gets400WithAnOpenAiError()
    {
        var client = stack.CreateGatewayClient();

        using var response = await client.PostAsync("v1/chat/completions",
            new StringContent("{\"model\":\"" + StackFixture.Model + "\",\"messages\":[", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task OversizedBody_Gets413WithAnOpenAiError()
    {
        var client = stack.CreateGatewayClient();
        var json = "{\"model\":\"" + StackFixture.Model + "\",\"prompt\":\"" + new string('x', 17 * 1024 * 1024) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        // With 100-continue the gateway's 413 arrives before the 17 MB are sent, as a well-behaved client would want.
        request.Headers.ExpectContinue = true;

        using var response = await client.SendAsync(request).WaitAsync(StackFixture.RequestTimeout);

        await OpenAiErrorAssert.HasCodeAsync(response, HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task Streaming_FirstChunkArrivesWhileTheReplicaIsStillGenerating()
    {
        var client = stack.CreateGatewayClient();
        using var request = StreamingRequest(maxTokens: 300);

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(StackFixture.RequestTimeout);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await ReadEventAsync(reader);

        Assert.StartsWith("data: {", first);
        Assert.True(await RunningOnReplicasAsync() >= 1, "the replica had already finished when the first chunk arrived: the gateway buffered");
        var rest = await reader.ReadToEndAsync().WaitAsync(StackFixture.RequestTimeout);
        Assert.EndsWith("data: [DONE]", rest.TrimEnd());
    }

    [Fact]
    public async Task ClientCancellation_ReachesTheReplica()
    {
        var client = stack.CreateGatewayClient();
        using var request = StreamingRequest(maxTokens: 2000);
        using var cancellation = new CancellationTokenSource();

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation.Token).WaitAsync(StackFixture.RequestTimeout);
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation.Token)))
        {
            Assert.StartsWith("data: {", await ReadEventAsync(reader));
            Assert.True(await RunningOnReplicasAsync() >= 1);
            cancellation.Cancel();
            response.Dispose();
        }

        // 2,000 tokens take ~20 s at the simulator's real-time pace; the replica stops long before if the abort reached it.
        await Eventually.HoldsAsync(async () => await RunningOnReplicasAsync() == 0, TimeSpan.FromSeconds(10), "the replica aborted the generation");
    }

    private static HttpRequestMessage StreamingRequest(int maxTokens) => new(HttpMethod.Post, "v1/completions")
    {
        Content = JsonContent.Create(new { model = StackFixture.Model, prompt = "Tell a long story.", max_tokens = maxTokens, ignore_eos = true, stream = true }),
    };

    private static async Task<string> ReadEventAsync(StreamReader reader)
    {
        string? line;
        do
        {
            line = await reader.ReadLineAsync().WaitAsync(StackFixture.RequestTimeout);
        }
        while (line is { Length: 0 });

        return line ?? "";
    }

    private async Task<double> RunningOnReplicasAsync()
    {
        using var http = new HttpClient { Timeout = StackFixture.RequestTimeout };
        var total = 0.0;
        foreach (var replica in stack.ReplicaNames)
        {
            var text = await http.GetStringAsync(new Uri(stack.GetEndpoint(replica, "http"), "/metrics"));
            total += text.Split('\n')
                .Where(l => l.StartsWith("vllm:num_requests_running", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        }

        return total;
    }
}
