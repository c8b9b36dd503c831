using k8s.Models;
using PatternOne.AppHost;
using PatternOne.AppHost.Inference;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>The publish step run in-process against the real AppHost: no drift, and the app model drives the output.</summary>
public sealed class PublishOutputTests
{
    private const string VllmDeployment = "qwen2-3b-pattern1-kserve";

    [Fact]
    public async Task CommittedOutput_EqualsAFreshPublish()
    {
        using var run = await PublishRun.PublishAsync();

        var fresh = PublishRun.ReadFiles(run.Directory);
        var committed = PublishRun.ReadFiles(PublishRun.CommittedOutput);
        Assert.Equal(committed.Keys, fresh.Keys);
        foreach (var (file, text) in fresh)
        {
            Assert.True(committed[file] == text,
                $"aspirate-output/{file} differs from a fresh publish; regenerate it with " +
                "`dotnet run --project PatternOne.AppHost -- --operation publish --step publish`.");
        }
    }

    [Fact]
    public async Task Publish_IsDeterministic()
    {
        using var first = await PublishRun.PublishAsync();
        using var second = await PublishRun.PublishAsync();

        Assert.Equal(PublishRun.ReadFiles(first.Directory), PublishRun.ReadFiles(second.Directory));
    }

    [Fact]
    public async Task Publish_OverwritesAnOldPublishInTheSameFolder()
    {
        using var run = await PublishRun.PublishAsync(new AppHostSettings { Replicas = 2 }.ToArgs());
        var stale = Path.Combine(run.Directory, "removed-resource");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "kustomization.yaml"), "resources: []\n");
        File.WriteAllText(Path.Combine(run.Directory, "NOTES.md"), "kept\n");

        using var again = await PublishRun.PublishAsync(new AppHostSettings { Replicas = 1 }.ToArgs(), outputDirectory: run.Directory);

        Assert.False(Directory.Exists(stale));
        Assert.True(File.Exists(Path.Combine(run.Directory, "NOTES.md")));
        Assert.Equal(1, again.Single<V1Deployment>(VllmDeployment).Spec.Replicas);
    }

    [Fact]
    public void TpuRequest_EqualsLimit_AndIsTheWholeSlice()
    {
        var deployment = PublishRun.LoadObjects(PublishRun.CommittedOutput).Select(o => o.Object).OfType<V1Deployment>()
            .Single(d => d.Metadata.Name == VllmDeployment);
        var main = deployment.Spec.Template.Spec.Containers.Single(c => c.Name == "main");

        Assert.Equal("4", main.Resources.Requests["google.com/tpu"].ToString());
        Assert.Equal(main.Resources.Limits["google.com/tpu"].ToString(), main.Resources.Requests["google.com/tpu"].ToString());
        foreach (var container in deployment.Spec.Template.Spec.Containers.Concat(deployment.Spec.Template.Spec.InitContainers ?? []))
        {
            Assert.Equal(
                container.Resources.Limits.TryGetValue("google.com/tpu", out var limit) ? limit.ToString() : null,
                container.Resources.Requests.TryGetValue("google.com/tpu", out var request) ? request.ToString() : null);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ReplicaCount_FromConfiguration_IsTheDeploymentsReplicas(int replicas)
    {
        using var run = await PublishRun.PublishAsync(new AppHostSettings { Replicas = replicas }.ToArgs());

        Assert.Equal(replicas, run.Single<V1Deployment>(VllmDeployment).Spec.Replicas);
    }

    [Theory]
    [InlineData("1x1", 1, "1,1,1")]
    [InlineData("2x2", 4, "2,2,1")]
    [InlineData("2x4", 8, "2,4,1")]
    public async Task TpuTopology_InTheAppModel_DrivesSelectorsChipsAndBounds(string topology, int chips, string bounds)
    {
        using var run = await PublishRun.PublishAsync(changeModel: pool => pool.Tpu = TpuAccelerator.V6e(topology));

        var spec = run.Single<V1Deployment>(VllmDeployment).Spec.Template.Spec;
        var main = spec.Containers.Single(c => c.Name == "main");
        Assert.Equal(topology, spec.NodeSelector["cloud.google.com/gke-tpu-topology"]);
        Assert.Equal("tpu-v6e-slice", spec.NodeSelector["cloud.google.com/gke-tpu-accelerator"]);
        Assert.Equal(chips.ToString(System.Globalization.CultureInfo.InvariantCulture), main.Resources.Requests["google.com/tpu"].ToString());
        Assert.Equal(chips.ToString(System.Globalization.CultureInfo.InvariantCulture), main.Resources.Limits["google.com/tpu"].ToString());
        Assert.Equal(bounds, main.Env.Single(e => e.Name == "TPU_CHIPS_PER_HOST_BOUNDS").Value);
        Assert.Equal("1,1,1", main.Env.Single(e => e.Name == "TPU_HOST_BOUNDS").Value);
    }

    [Fact]
    public async Task MultiHostTopology_WritesNothing()
    {
        // A 4x4 v6e slice spans two hosts: a Deployment cannot express it, so the step fails before writing.
        using var run = await PublishRun.PublishAsync(changeModel: pool => pool.Tpu = TpuAccelerator.V6e("4x4"));

        Assert.False(File.Exists(Path.Combine(run.Directory, "kustomization.yaml")));
    }

    [Fact]
    public async Task Model_InTheAppModel_IsDownloadedAndServed()
    {
        using var run = await PublishRun.PublishAsync(changeModel: pool =>
        {
            pool.Model = "Qwen/Qwen2.5-7B-Instruct";
            pool.ServedModelName = "qwen-7b";
            pool.VllmArgs.Add("--max-num-seqs=128");
        });

        var spec = run.Single<V1Deployment>(VllmDeployment).Spec.Template.Spec;
        Assert.Equal(["hf://Qwen/Qwen2.5-7B-Instruct", "/mnt/models"], spec.InitContainers.Single(c => c.Name == "storage-initializer").Args);
        var args = spec.Containers.Single(c => c.Name == "main").Args;
        Assert.Contains("--served-model-name=qwen-7b", args);
        Assert.Contains("--model=/mnt/models", args);
        Assert.Equal("--max-num-seqs=128", args[^1]);
    }

    [Fact]
    public async Task PublishParameters_SetImagesAndTheApiServerCidr()
    {
        using var run = await PublishRun.PublishAsync(
        [
            "Parameters:image-tag=1.2.3",
            "Parameters:gateway-image=registry.example/team/gw",
            "Parameters:vllm-image-tag=3.3.0",
            "Parameters:kube-api-server-cidr=34.90.1.2/32",
        ]);

        Assert.Equal("registry.example/team/gw:1.2.3", run.Single<V1Deployment>("inference-gateway-istio").Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("ghcr.io/patternone/scheduler:1.2.3", run.Single<V1Deployment>("qwen2-3b-pattern1-kserve-router-scheduler").Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("registry.redhat.io/rhaiis/vllm-tpu-rhel9:3.3.0", run.Single<V1Deployment>(VllmDeployment).Spec.Template.Spec.Containers[0].Image);
        var eppEgress = run.Single<V1NetworkPolicy>("allow-epp-egress");
        Assert.Contains(eppEgress.Spec.Egress, r => r.To.Any(p => p.IpBlock?.Cidr == "34.90.1.2/32"));
        // A public API server address is not "internet" for vLLM.
        Assert.Contains("34.90.1.2/32", run.Single<V1NetworkPolicy>("allow-vllm-egress").Spec.Egress.SelectMany(r => r.To).Single(p => p.IpBlock is not null).IpBlock.Except);
    }

    [Theory]
    [InlineData("10.28.0.2/32")]
    [InlineData("172.16.0.0/28")]
    [InlineData("fd00::1/128")]
    public async Task ApiServerCidr_NotInsideThePublicInternet_IsNotExceptFromIt(string cidr)
    {
        // A private one already lies in an excepted range; an IPv6 one is not inside 0.0.0.0/0 at all.
        using var run = await PublishRun.PublishAsync([$"Parameters:kube-api-server-cidr={cidr}"]);

        var internet = run.Single<V1NetworkPolicy>("allow-vllm-egress").Spec.Egress.SelectMany(r => r.To).Single(p => p.IpBlock is not null).IpBlock;
        Assert.Equal(["10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"], internet.Except);
    }
}
