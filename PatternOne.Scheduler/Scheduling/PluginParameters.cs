using System.Globalization;
using System.Numerics;

namespace PatternOne.Scheduler.Scheduling;

/// <summary>Typed access to a plugin's <c>parameters</c> map, with clear errors naming the plugin and key.</summary>
public sealed class PluginParameters
{
    private readonly IReadOnlyDictionary<string, object?> _values;
    private readonly string _plugin;

    public PluginParameters(string plugin, IReadOnlyDictionary<string, object?>? values)
    {
        _plugin = plugin;
        _values = values ?? new Dictionary<string, object?>();
    }

    public static PluginParameters Empty(string plugin) => new(plugin, null);

    public int GetInt(string key, int defaultValue, int min = int.MinValue, int max = int.MaxValue) =>
        GetNumber(key, defaultValue, min, max, NumberStyles.Integer, "an integer");

    public double GetDouble(string key, double defaultValue, double min = double.MinValue, double max = double.MaxValue) =>
        GetNumber(key, defaultValue, min, max, NumberStyles.Float, "a number");

    private T GetNumber<T>(string key, T defaultValue, T min, T max, NumberStyles style, string kind)
        where T : INumber<T>
    {
        if (!TryGetText(key, out var text))
        {
            return defaultValue;
        }

        if (!T.TryParse(text, style, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw Invalid(key, text, $"{kind} in [{min}, {max}]");
        }

        return value;
    }

    public bool GetBool(string key, bool defaultValue)
    {
        if (!TryGetText(key, out var text))
        {
            return defaultValue;
        }

        return bool.TryParse(text, out var value) ? value : throw Invalid(key, text, "true or false");
    }

    /// <summary>One of <typeparamref name="TEnum"/>'s names, case-insensitive (configs write them lower-case: <c>ignore</c>).</summary>
    public TEnum GetEnum<TEnum>(string key, TEnum defaultValue) where TEnum : struct, Enum
    {
        if (!TryGetText(key, out var text))
        {
            return defaultValue;
        }

        var match = Enum.GetNames<TEnum>().FirstOrDefault(name => string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase));
        return match is not null
            ? Enum.Parse<TEnum>(match)
            : throw Invalid(key, text, $"one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}");
    }

    /// <summary>Accepts Go-style durations (<c>200ms</c>, <c>2s</c>, <c>1m</c>) or a plain number of milliseconds.</summary>
    public TimeSpan GetDuration(string key, TimeSpan defaultValue)
    {
        if (!TryGetText(key, out var text))
        {
            return defaultValue;
        }

        return TryParseDuration(text, out var value) && value >= TimeSpan.Zero
            ? value
            : throw Invalid(key, text, "a duration such as 200ms or 2s");
    }

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        (string Suffix, double Factor)[] units = [("ms", 1), ("us", 0.001), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                value = TimeSpan.FromMilliseconds(amount * factor);
                return true;
            }
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis))
        {
            value = TimeSpan.FromMilliseconds(millis);
            return true;
        }

        value = default;
        return false;
    }

    private bool TryGetText(string key, out string text)
    {
        if (_values.TryGetValue(key, out var raw) && raw is not null)
        {
            text = Convert.ToString(raw, CultureInfo.InvariantCulture) ?? "";
            return true;
        }

        text = "";
        return false;
    }

    private InvalidOperationException Invalid(string key, string text, string expected) =>
        new($"Plugin '{_plugin}': parameter '{key}' is '{text}', expected {expected}.");
}
