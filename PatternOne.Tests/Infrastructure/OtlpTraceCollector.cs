using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatternOne.Tests.Infrastructure.Otlp;

namespace PatternOne.Tests.Infrastructure;

/// <summary>
/// A minimal OTLP/HTTP (protobuf) trace receiver on loopback: the services export their spans here, and tests ask
/// which services saw a given trace id. It stands in for the Aspire dashboard, which tests run without.
/// </summary>
public sealed class OtlpTraceCollector : IAsyncDisposable
{
    private readonly ConcurrentQueue<CollectedSpan> _spans = new();
    private readonly WebApplication _app;

    private OtlpTraceCollector(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<OtlpTraceCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var collector = new OtlpTraceCollector(app);
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var export = ExportTraceServiceRequest.Parser.ParseFrom(buffer.ToArray());
            foreach (var resourceSpans in export.ResourceSpans)
            {
                var service = resourceSpans.Resource?.Attributes
                    .FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? "";
                foreach (var span in resourceSpans.ScopeSpans.SelectMany(s => s.Spans))
                {
                    collector._spans.Enqueue(new CollectedSpan(service, Convert.ToHexStringLower(span.TraceId.Span), span.Name)
                    {
                        Attributes = Values(span.Attributes),
                        Events = [.. span.Events.Select(e => new CollectedEvent(e.Name, Values(e.Attributes)))],
                    });
                }
            }

            // An empty ExportTraceServiceResponse.
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        collector.Endpoint = new Uri(address);
        return collector;
    }

    /// <summary>The services that exported at least one span of <paramref name="traceId"/> (hex, lower case).</summary>
    public IReadOnlySet<string> ServicesInTrace(string traceId) =>
        _spans.Where(s => s.TraceId == traceId).Select(s => s.Service).ToHashSet();

    public IReadOnlyList<CollectedSpan> Spans => [.. _spans];

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static Dictionary<string, object?> Values(IEnumerable<KeyValue> attributes) => attributes.ToDictionary(
        a => a.Key,
        a => a.Value?.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => a.Value.StringValue,
            AnyValue.ValueOneofCase.BoolValue => a.Value.BoolValue,
            AnyValue.ValueOneofCase.IntValue => a.Value.IntValue,
            AnyValue.ValueOneofCase.DoubleValue => (object?)a.Value.DoubleValue,
            _ => null,
        },
        StringComparer.Ordinal);
}

/// <summary>One exported span: its service, trace, name, attributes and events (OTLP's typed values as .NET values).</summary>
public sealed record CollectedSpan(string Service, string TraceId, string Name)
{
    public IReadOnlyDictionary<string, object?> Attributes { get; init; } = new Dictionary<string, object?>();

    public IReadOnlyList<CollectedEvent> Events { get; init; } = [];
}

public sealed record CollectedEvent(string Name, IReadOnlyDictionary<string, object?> Attributes);
