using PatternOne.AppHost.Publishing;

namespace PatternOne.Tests.AppHost.Publishing;

public sealed class OutputPathTests
{
    [Theory]
    [InlineData(null, "/repo/aspirate-output")]
    [InlineData("", "/repo/aspirate-output")]
    [InlineData("aspirate-output", "/repo/aspirate-output")]
    [InlineData("out/k8s", "/repo/out/k8s")]
    [InlineData("/tmp/manifests", "/tmp/manifests")]
    public void OutputDirectory_IsTakenFromTheRepositoryRoot_UnlessAbsolute(string? configured, string expected)
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(expected, KubernetesPublisherExtensions.ResolveOutputDirectory(configured, "/repo"));
        }
        else
        {
            Assert.EndsWith(expected.TrimStart('/').Replace('/', '\\'), KubernetesPublisherExtensions.ResolveOutputDirectory(configured, @"C:\repo"), StringComparison.Ordinal);
        }
    }
}
