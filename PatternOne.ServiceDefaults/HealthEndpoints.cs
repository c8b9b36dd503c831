namespace PatternOne.ServiceDefaults;

/// <summary>
/// The health contract every PatternOne service keeps and its callers rely on: the HTTP paths Kubernetes' probes and
/// the AppHost's health checks ask, and the tag that puts a check into liveness.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Liveness: the process answers. Kubernetes restarts the pod when this fails.</summary>
    public const string AlivePath = "/alive";

    /// <summary>Readiness: every registered check passes. Kubernetes stops routing to the pod when this fails.</summary>
    public const string HealthPath = "/health";

    /// <summary>A check with this tag counts for liveness (<see cref="AlivePath"/>, the scheduler's gRPC <c>liveness</c>); the others only for readiness.</summary>
    public const string LiveTag = "live";
}
