using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace PatternOne.Tests.Scheduler.Profiles;

/// <summary>The admin port switches the built-in profile of a running scheduler; its metrics report the new one.</summary>
public sealed class ProfileAdminTests : IAsyncLifetime
{
    private readonly int _adminPort = SchedulerTestHost.FreePorts(1)[0];
    private SchedulerTestHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await SchedulerTestHost.StartAsync(["10.0.0.1:8000"], new Dictionary<string, string?>
        {
            ["Scheduler:AdminPort"] = _adminPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        _http = new HttpClient { Timeout = SchedulerTestHost.Timeout };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private Uri Admin => new($"http://127.0.0.1:{_adminPort}/admin/profile");

    private Task<string> MetricsAsync() => _http.GetStringAsync($"http://127.0.0.1:{_host.MetricsPort}/metrics");

    [Fact]
    public async Task Post_SwitchesTheProfile_AndTheMetricsReportIt()
    {
        Assert.Contains("profile=\"default\"", await MetricsAsync(), StringComparison.Ordinal);

        using var response = await _http.PostAsJsonAsync(Admin, new { profile = "round-robin" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var state = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("round-robin", state.RootElement.GetProperty("profile").GetString());
        var metrics = await MetricsAsync();
        Assert.Contains("inference_extension_info{commit=\"dev\",build_ref=\"patternone\",profile=\"round-robin\"} 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("profile=\"default\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_UnknownProfile_Is400WithTheList_AndChangesNothing()
    {
        using var response = await _http.PostAsJsonAsync(Admin, new { profile = "fastest" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("least-queue", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("profile=\"default\"", await MetricsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminRoutes_AreNotServedOnTheMetricsPort()
    {
        using var response = await _http.PostAsJsonAsync($"http://127.0.0.1:{_host.MetricsPort}/admin/profile", new { profile = "random" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("profile=\"default\"", await MetricsAsync(), StringComparison.Ordinal);
    }
}
