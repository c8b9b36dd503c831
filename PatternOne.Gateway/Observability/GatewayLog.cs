
namespace PatternOne.Gateway.Observability;

/// <summary>Every log event of the gateway, with stable ids: 1xx TLS, 2xx picking, 3xx forwarding, 4xx requests.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 100, EventName = "CertificateLoaded", Level = LogLevel.Information,
        Message = "TLS certificate loaded: {Subject} ({Thumbprint}), valid until {NotAfter:o}")]
    public static partial void CertificateLoaded(ILogger logger, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 101, EventName = "CertificateReloadFailed", Level = LogLevel.Warning,
        Message = "TLS certificate files at {Path} did not load; the previous certificate stays in use until the next change")]
    public static partial void CertificateReloadFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 200, EventName = "PickerUnavailable", Level = LogLevel.Warning,
        Message = "Endpoint picker of pool {Pool} failed ({Reason}); failure mode {FailureMode}")]
    public static partial void PickerUnavailable(ILogger logger, string pool, string reason, FailureMode failureMode, Exception? exception);

    [LoggerMessage(EventId = 201, EventName = "PickerImmediateResponse", Level = LogLevel.Debug,
        Message = "Endpoint picker of pool {Pool} answered the request itself with {StatusCode}")]
    public static partial void PickerImmediateResponse(ILogger logger, string pool, int statusCode);

    [LoggerMessage(EventId = 202, EventName = "PickerNamedInvalidEndpoint", Level = LogLevel.Warning,
        Message = "Endpoint picker of pool {Pool} named '{Value}', which is not ip:port; ignored")]
    public static partial void PickerNamedInvalidEndpoint(ILogger logger, string pool, string value);

    [LoggerMessage(EventId = 203, EventName = "PickerResponsePhaseFailed", Level = LogLevel.Debug,
        Message = "Endpoint picker of pool {Pool} did not take part in the response phase")]
    public static partial void PickerResponsePhaseFailed(ILogger logger, string pool, Exception? exception);

    [LoggerMessage(EventId = 204, EventName = "PickerMutationIgnored", Level = LogLevel.Debug,
        Message = "Endpoint picker asked to change header '{Header}', which the gateway keeps for itself")]
    public static partial void PickerMutationIgnored(ILogger logger, string header);

    [LoggerMessage(EventId = 206, EventName = "PickerWarmupGaveUp", Level = LogLevel.Warning,
        Message = "No warm-up answer from the endpoint picker of pool(s) {Pools} within {TimeoutSeconds} s; ready anyway, their failure mode applies")]
    public static partial void PickerWarmupGaveUp(ILogger logger, string pools, double timeoutSeconds);

    [LoggerMessage(EventId = 300, EventName = "UpstreamAttemptFailed", Level = LogLevel.Warning,
        Message = "Request to {Endpoint} failed before any response ({Error}); trying the next endpoint")]
    public static partial void UpstreamAttemptFailed(ILogger logger, string endpoint, string error, Exception? exception);

    [LoggerMessage(EventId = 301, EventName = "UpstreamFailed", Level = LogLevel.Warning,
        Message = "Request to {Endpoint} failed ({Error})")]
    public static partial void UpstreamFailed(ILogger logger, string endpoint, string error, Exception? exception);

    [LoggerMessage(EventId = 302, EventName = "EndpointHealthChanged", Level = LogLevel.Information,
        Message = "Pool {Pool} endpoint {Endpoint} is now {State}")]
    public static partial void EndpointHealthChanged(ILogger logger, string pool, string endpoint, string state);

    [LoggerMessage(EventId = 303, EventName = "EndpointUnresponsive", Level = LogLevel.Warning,
        Message = "Pool {Pool} endpoint {Endpoint} stopped answering its health probe: requests on it move to another replica or end")]
    public static partial void EndpointUnresponsive(ILogger logger, string pool, string endpoint);

    [LoggerMessage(EventId = 304, EventName = "ProbeEndedByStop", Level = LogLevel.Debug,
        Message = "Health probe of {Endpoint} in pool {Pool} failed while the gateway stops")]
    public static partial void ProbeEndedByStop(ILogger logger, string pool, string endpoint, Exception exception);

    [LoggerMessage(EventId = 400, EventName = "RequestBodyTooLarge", Level = LogLevel.Debug,
        Message = "Request body over the {Limit}-byte limit refused with 413")]
    public static partial void RequestBodyTooLarge(ILogger logger, long limit);

    [LoggerMessage(EventId = 401, EventName = "RequestBodyNotJson", Level = LogLevel.Debug,
        Message = "Request body is not valid JSON: {Reason}")]
    public static partial void RequestBodyNotJson(ILogger logger, string reason);

    [LoggerMessage(EventId = 500, EventName = "UnexpectedFailure", Level = LogLevel.Error,
        Message = "Request failed unexpectedly; answered 502")]
    public static partial void UnexpectedFailure(ILogger logger, Exception exception);
}
