using System.Globalization;

namespace PatternOne.ServiceDefaults.Configuration;

/// <summary>
/// A service's configuration as the other parts write it (the AppHost's wiring, the Kubernetes publisher, the
/// benchmarks' local cluster, the tests' hosts): a typed record whose keys are built from the service's own option
/// names, written either as configuration keys (<c>Gateway:Pools:0:Name</c>) or as environment variables
/// (<c>Gateway__Pools__0__Name</c>). A value left null is not written, so the option's default applies.
/// </summary>
public abstract record ServiceSettings
{
    /// <summary>The settings as configuration keys and invariant-culture values; the ones left null are left out.</summary>
    public Dictionary<string, string?> ToConfiguration()
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in Entries())
        {
            if (value is not null)
            {
                settings[key] = value;
            }
        }

        return settings;
    }

    /// <summary>The settings as environment variables (<see cref="EnvironmentKey"/>).</summary>
    public Dictionary<string, string> ToEnvironment() =>
        ToConfiguration().ToDictionary(p => EnvironmentKey(p.Key), p => p.Value!, StringComparer.Ordinal);

    /// <summary>A key's environment-variable form: <c>:</c> becomes <c>__</c>, as .NET's environment provider reads it.</summary>
    public static string EnvironmentKey(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>Every setting as (configuration key, value or null when not set).</summary>
    protected abstract IEnumerable<KeyValuePair<string, string?>> Entries();

    protected static KeyValuePair<string, string?> Entry(string key, string? value) => new(key, value);

    protected static string? Format<T>(T? value) where T : struct, IFormattable => value?.ToString(null, CultureInfo.InvariantCulture);

    /// <summary>Lower case, as configuration files write booleans (the binder reads either case).</summary>
    protected static string? Format(bool? value) => value switch { null => null, true => "true", false => "false" };
}
