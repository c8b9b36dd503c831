using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using PatternOne.AppHost;
using PatternOne.AppHost.Inference;

namespace PatternOne.Tests.AppHost;

/// <summary>The app model itself, without starting anything: what AppHost.cs declares.</summary>
public sealed class AppModelTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    // Building the model in run mode issues the local certificate; keep it out of the developer's own folder.
    private readonly string _tlsDirectory = Directory.CreateTempSubdirectory("patternone-tls-").FullName;

    public void Dispose() => Directory.Delete(_tlsDirectory, recursive: true);

    private string[] Args(AppHostSettings? settings = null) => ((settings ?? new AppHostSettings()) with { TlsDirectory = _tlsDirectory }).ToArgs();

    [Fact]
    public async Task Pool_CarriesTheSeedsModelTpuAndArgs()
    {
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PatternOne_AppHost>(Args()).WaitAsync(s_timeout);

        var pool = appHost.Resources.OfType<VllmPoolResource>().Single();
        Assert.Equal("qwen2-3b-pattern1", pool.Name);
        Assert.Equal("Qwen/Qwen2.5-3B-Instruct", pool.Model);
        Assert.Equal(1, pool.Replicas);
        Assert.Equal("tpu-v6e-slice", pool.Tpu!.AcceleratorType);
        Assert.Equal("2x2", pool.Tpu.Topology);
        Assert.Equal(4, pool.Tpu.Chips);
        Assert.Equal("2,2,1", pool.Tpu.ChipsPerHostBounds);
        Assert.Equal(["--dtype=half", "--max-model-len=2048", "--tensor-parallel-size=4"], pool.VllmArgs);
        Assert.Equal(2048, pool.MaxModelLength);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ReplicaCount_FromConfiguration_StartsOneSimulatorPerReplica(int replicas)
    {
        await using var appHost = await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.PatternOne_AppHost>(Args(new AppHostSettings { Replicas = replicas })).WaitAsync(s_timeout);

        var names = appHost.Resources.OfType<ProjectResource>().Select(r => r.Name)
            .Where(n => n.StartsWith("qwen2-3b-pattern1-", StringComparison.Ordinal)).Order().ToList();
        Assert.Equal(Enumerable.Range(0, replicas).Select(i => $"qwen2-3b-pattern1-{i}"), names);
        Assert.Equal(replicas, appHost.Resources.OfType<VllmPoolResource>().Single().Replicas);
    }

    [Fact]
    public async Task Gateway_IsTheOnlyResourceWithExternalEndpoints_On8080And8443()
    {
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PatternOne_AppHost>(Args()).WaitAsync(s_timeout);

        var external = appHost.Resources.OfType<IResourceWithEndpoints>()
            .SelectMany(r => r.Annotations.OfType<EndpointAnnotation>().Where(e => e.IsExternal).Select(e => (r.Name, e.Name, e.Port)))
            .ToList();
        Assert.All(external, e => Assert.Equal("gateway", e.Item1));
        Assert.Contains(("gateway", "http", (int?)8080), external);
        Assert.Contains(("gateway", "https", (int?)8443), external);
    }

    [Fact]
    public void TpuTopology_DeterminesChipsAndHostBounds()
    {
        Assert.Equal(8, TpuAccelerator.V6e("2x4").Chips);
        Assert.Equal("2,4,1", TpuAccelerator.V6e("2x4").ChipsPerHostBounds);
        Assert.Equal(1, TpuAccelerator.V6e("1x1").Chips);
        Assert.Throws<ArgumentException>(() => TpuAccelerator.V6e("2by2").Chips);
    }
}
