using System.Globalization;

namespace PatternOne.AppHost.Operations;

/// <summary>
/// Names of the live properties the dashboard shows on the pool, each replica and the scheduler (also read by tests).
/// Values are display strings with their unit; <see cref="ParseLeadingNumber"/> reads the number back.
/// </summary>
public static class LiveStateProperties
{
    public const string RunningRequests = "live.running";
    public const string WaitingRequests = "live.waiting";
    public const string KvCacheUsage = "live.kv_cache_usage";
    public const string PrefixCacheHitRate = "live.prefix_cache_hit_rate";
    public const string GenerationTokensPerSecond = "live.generation_tokens_per_second";
    public const string ReplicasReporting = "live.replicas_reporting";
    public const string Profile = "live.profile";
    public const string PicksPerSecond = "live.picks_per_second";
    public const string PickShare = "live.pick_share";
    public const string Rejections = "live.rejections";
    public const string UpdatedAt = "live.updated";

    /// <summary>The number a value starts with (<c>"42.5 %"</c> → 42.5), or null for text such as <c>"—"</c>.</summary>
    public static double? ParseLeadingNumber(object? value)
    {
        var text = value?.ToString() ?? "";
        var end = 0;
        while (end < text.Length && (char.IsDigit(text[end]) || text[end] is '.' or '-'))
        {
            end++;
        }

        return double.TryParse(text.AsSpan(0, end), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;
    }
}
