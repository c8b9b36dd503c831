using Yarp.ReverseProxy.Forwarder;

namespace PatternOne.Gateway.Forwarding;

/// <summary>
/// The <c>error</c> label of <c>gateway_upstream_failures_total</c>: what the replica did, in words an operator reads
/// without knowing YARP (whose <c>ResponseBodyDestination</c> means "the destination failed while the response body was
/// copied", but reads like a client fault).
/// </summary>
public static class UpstreamFailureKind
{
    /// <summary>No connection, or the connection dropped before response headers.</summary>
    public const string Unreachable = "unreachable";

    /// <summary>Connected, but no response headers within the time limit, or the replica was found hung first.</summary>
    public const string NoResponseInTime = "no_response_in_time";

    /// <summary>The replica failed after the response started (reset, or EOF before the end): a cut stream.</summary>
    public const string CutMidResponse = "cut_mid_response";

    /// <summary>The replica went silent after the response started, longer than the idle limit.</summary>
    public const string IdleMidResponse = "idle_mid_response";

    /// <summary>The replica's response could not be passed on (malformed headers).</summary>
    public const string BadResponse = "bad_response";

    /// <summary>The kind of <paramref name="error"/>; a replica given up on before it answered counts as no response in time.</summary>
    public static string Of(ForwarderError error, Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is ReplicaUnresponsiveException)
            {
                return NoResponseInTime;
            }
        }

        return Of(error);
    }

    public static string Of(ForwarderError error) => error switch
    {
        ForwarderError.Request or ForwarderError.RequestCreation or ForwarderError.RequestBodyDestination => Unreachable,
        ForwarderError.RequestTimedOut => NoResponseInTime,
        ForwarderError.ResponseBodyDestination => CutMidResponse,
        ForwarderError.ResponseBodyCanceled => IdleMidResponse,
        ForwarderError.ResponseHeaders => BadResponse,
        _ => error.ToString(),
    };
}
