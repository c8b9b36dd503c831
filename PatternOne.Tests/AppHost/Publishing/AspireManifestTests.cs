using System.Text.Json;
using Aspire.Hosting.Testing;

namespace PatternOne.Tests.AppHost.Publishing;

/// <summary>
/// Aspire's own manifest (<c>--publisher manifest</c>, what the real aspirate tool reads) keeps working beside our
/// publisher: every resource has a type, none is an error entry, and our step does not run for it.
/// </summary>
public sealed class AspireManifestTests
{
    [Fact]
    public async Task ManifestPublisher_WritesEveryResourceWithAType_AndNoKubernetesFiles()
    {
        var directory = Path.Combine(Path.GetTempPath(), "patternone-manifest-" + Guid.NewGuid().ToString("N"));
        try
        {
            var manifestPath = Path.Combine(directory, "manifest.json");
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PatternOne_AppHost>(
                ["AppHost:Operation=publish", "Publishing:Publisher=manifest", $"Pipeline:OutputPath={manifestPath}"]).WaitAsync(TestTimeouts.Publish);
            await using (var app = await builder.BuildAsync().WaitAsync(TestTimeouts.Publish))
            {
                await app.RunAsync().WaitAsync(TestTimeouts.Publish);
            }

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath));
            var resources = manifest.RootElement.GetProperty("resources").EnumerateObject().ToDictionary(r => r.Name, r => r.Value);
            Assert.All(resources, r =>
            {
                Assert.True(r.Value.TryGetProperty("type", out _), $"{r.Key} has no type");
                Assert.False(r.Value.TryGetProperty("error", out _), $"{r.Key} is an error entry");
            });
            Assert.Equal("vllm-pool.v0", resources["qwen2-3b-pattern1"].GetProperty("type").GetString());
            Assert.Equal("project.v0", resources["gateway"].GetProperty("type").GetString());
            Assert.Equal("parameter.v0", resources["image-tag"].GetProperty("type").GetString());
            Assert.False(File.Exists(Path.Combine(directory, "kustomization.yaml")));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
