using System.Collections.Frozen;
using System.Reflection;

namespace PatternOne.Scheduler.Scheduling;

/// <summary>
/// A plugin type that EndpointPickerConfig can name: its type name and how to build an instance from the config's
/// parameters. A plugin class implements this and is found by <see cref="PluginRegistry"/>, so adding a plugin is one new
/// file (as upstream's <c>plugins.Register(type, factory)</c> in the runner).
/// </summary>
public interface IPluginFactory
{
    /// <summary>The type as written in EndpointPickerConfig; upstream's name where upstream has the plugin.</summary>
    static abstract string PluginType { get; }

    /// <summary>A new instance named <paramref name="name"/>; <paramref name="parameters"/> reports bad values by name.</summary>
    static abstract ISchedulingPlugin Create(string name, PluginParameters parameters);
}

/// <summary>The table of plugin type → factory: every <see cref="IPluginFactory"/> in this assembly, found once.</summary>
public static class PluginRegistry
{
    private static readonly FrozenDictionary<string, Func<string, PluginParameters, ISchedulingPlugin>> s_factories = Discover();

    /// <summary>Upstream plugins whose job this service does built in; accepted in a config and ignored.</summary>
    public static IReadOnlySet<string> BuiltInUpstreamTypes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "single-profile-handler", "metrics-data-source", "core-metrics-extractor", "openai-parser",
        "anthropic-parser", "vllmhttp-parser", "passthrough-parser", "token-producer", "approx-prefix-cache-producer",
        "inflight-load-producer", "endpoint-notification-source",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Every plugin type a config may use (ignored upstream built-ins aside), sorted.</summary>
    public static IReadOnlyList<string> Types { get; } = [.. s_factories.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The factory of <paramref name="type"/>, if a plugin registered it.</summary>
    public static bool TryGetFactory(string type, out Func<string, PluginParameters, ISchedulingPlugin> factory) =>
        s_factories.TryGetValue(type, out factory!);

    private static FrozenDictionary<string, Func<string, PluginParameters, ISchedulingPlugin>> Discover()
    {
        var entry = typeof(PluginRegistry).GetMethod(nameof(Entry), BindingFlags.NonPublic | BindingFlags.Static)!;
        return typeof(PluginRegistry).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.IsAssignableTo(typeof(IPluginFactory)))
            .Select(t => (KeyValuePair<string, Func<string, PluginParameters, ISchedulingPlugin>>)entry.MakeGenericMethod(t).Invoke(null, null)!)
            .ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static KeyValuePair<string, Func<string, PluginParameters, ISchedulingPlugin>> Entry<T>() where T : IPluginFactory =>
        new(T.PluginType, T.Create);
}
