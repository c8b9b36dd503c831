using PatternOne.AppHost.Publishing.Plan;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>The committed folders of every topology equal a fresh publish; the default stays the standalone output.</summary>
public sealed class TopologyOutputTests
{
    public static TheoryData<PublishTopology> Topologies => [PublishTopology.Istio, PublishTopology.KServe];

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task CommittedOutput_EqualsAFreshPublish(PublishTopology topology)
    {
        using var run = await PublishRun.PublishAsync([PublishRun.TopologyArgument(topology)]);

        var folder = PublishTopologyNames.DefaultOutputFolder(topology);
        var fresh = PublishRun.ReadFiles(run.Directory);
        var committed = PublishRun.ReadFiles(PublishRun.CommittedOutputOf(topology));
        Assert.Equal(committed.Keys, fresh.Keys);
        foreach (var (file, text) in fresh)
        {
            Assert.True(committed[file] == text,
                $"{folder}/{file} differs from a fresh publish; regenerate it with " +
                $"`dotnet run --project PatternOne.AppHost -- --operation publish --step publish --Parameters:topology={topology.ToString().ToLowerInvariant()}`.");
        }
    }

    [Fact]
    public async Task StandaloneTopology_IsTheDefaultOutput()
    {
        using var run = await PublishRun.PublishAsync([PublishRun.TopologyArgument(PublishTopology.Standalone)]);

        Assert.Equal(PublishRun.ReadFiles(PublishRun.CommittedOutput), PublishRun.ReadFiles(run.Directory));
    }

    [Fact]
    public async Task UnknownTopology_WritesNothing()
    {
        using var run = await PublishRun.PublishAsync(["Parameters:topology=openshift"]);

        Assert.False(File.Exists(Path.Combine(run.Directory, "kustomization.yaml")));
    }

    [Theory]
    [InlineData(PublishTopology.Standalone, "aspirate-output")]
    [InlineData(PublishTopology.Istio, "aspirate-output-istio")]
    [InlineData(PublishTopology.KServe, "aspirate-output-kserve")]
    public void EachTopology_HasItsOwnDefaultFolder(PublishTopology topology, string folder)
    {
        var root = Path.GetTempPath();

        Assert.Equal(Path.Combine(root, folder), global::PatternOne.AppHost.Publishing.KubernetesPublisherExtensions.ResolveOutputDirectory(null, root, topology));
    }
}
