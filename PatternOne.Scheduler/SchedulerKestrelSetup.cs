using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using PatternOne.Scheduler.Hosting;

namespace PatternOne.Scheduler;

/// <summary>
/// The scheduler's three listeners, as upstream's EPP: ext_proc (h2c, or TLS when <c>Scheduler:Tls</c> is set), gRPC
/// health, and HTTP for Prometheus and the health endpoints. Ports come from <see cref="SchedulerOptions"/> only.
/// </summary>
internal sealed class SchedulerKestrelSetup(IOptions<SchedulerOptions> options) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        var scheduler = options.Value;
        kestrel.ListenAnyIP(scheduler.ExtProcPort, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (scheduler.Tls.Enabled)
            {
                listen.UseHttps(ServingCertificate.Load(scheduler.Tls));
            }
        });
        kestrel.ListenAnyIP(scheduler.HealthPort, listen => listen.Protocols = HttpProtocols.Http2);
        kestrel.ListenAnyIP(scheduler.MetricsPort, listen => listen.Protocols = HttpProtocols.Http1);
        if (scheduler.AdminPort != 0)
        {
            kestrel.Listen(IPAddress.Loopback, scheduler.AdminPort, listen => listen.Protocols = HttpProtocols.Http1);
        }
    }
}
